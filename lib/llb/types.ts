/**
 * The vocabulary shared by every op: platforms, constraints, outputs and
 * vertices. A vertex is an immutable op node; an output is one of its
 * results. Marshalling walks vertices from the final output back.
 */

/** An OCI platform, as LLB carries it. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** linux/amd64, BuildKit's default when nothing else is said. */
export const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };

/** A progress group: vertices sharing one line in progress output. */
export interface ProgressGroup {
  id: string;
  name: string;
  weak?: boolean;
}

/** Per-op metadata: custom name, progress group, cache switches and caps. */
export interface OpOptions {
  /** Shown as the step's name in progress (`llb.customname`). */
  customName?: string;
  /** Extra `description` entries. */
  description?: Record<string, string>;
  progressGroup?: ProgressGroup;
  ignoreCache?: boolean;
  /** Platform for this op only. */
  platform?: Platform;
  /** containerd-style worker filters. */
  workerConstraints?: string[];
}

/** Graph-wide marshalling options. */
export interface Constraints {
  /** Platform of ops that do not set their own. */
  platform: Platform;
  /** `local.unique` for local sources that do not set one. */
  localUniqueId: string;
}

/** The result of marshalling one vertex. */
export interface MarshalledOp {
  digest: string;
  bytes: Uint8Array;
  metadata: OpMetadataValue;
}

/** Plain OpMetadata, before protobuf encoding. */
export interface OpMetadataValue {
  ignore_cache?: boolean;
  description?: Record<string, string>;
  caps?: Record<string, boolean>;
  progress_group?: { id: string; name: string; weak?: boolean };
}

/** An op node of the graph. */
export interface Vertex {
  /** The outputs of other vertices this one reads. */
  inputs(): Output[];
  /** Marshals this vertex (its inputs must be marshallable too). */
  marshal(c: Constraints): MarshalledOp;
}

/** One result of a vertex. */
export interface Output {
  readonly vertex: Vertex;
  readonly index: number;
}
