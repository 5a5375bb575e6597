/**
 * The vocabulary shared by every op: platforms, op options, constraints,
 * outputs and vertices. A vertex is an immutable op node; an output is one of
 * its results. Marshalling walks vertices from the final output back.
 */

/** An OCI platform, as LLB carries it. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
  osFeatures?: string[];
}

/** linux/amd64, the default of every graph unless marshal is told otherwise. */
export const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };

/** A progress group: vertices sharing one line in progress output. */
export interface ProgressGroup {
  id: string;
  name: string;
  weak?: boolean;
}

/** Per-op options (Go's ConstraintsOpt): metadata, platform and worker filters. */
export interface OpOptions {
  /** Shown as the step's name in progress (`llb.customname`). */
  customName?: string;
  /** Extra `description` entries. */
  description?: Record<string, string>;
  progressGroup?: ProgressGroup;
  ignoreCache?: boolean;
  /** Export this op's result with the cache (true), never (false), or as configured (unset). */
  exportCache?: boolean;
  /** Platform for this op only. */
  platform?: Platform;
  /** Worker filters the op requires (containerd-style, e.g. `node.labels.arch==amd64`). */
  requires?: string[];
  /** CPU and memory limits of an exec (metadata only: they do not change the cache key). */
  linuxResources?: LinuxResources;
}

/** Resource limits of a container, as BuildKit's OpMetadata carries them. */
export interface LinuxResources {
  /** Bytes. */
  memory?: number;
  memorySwap?: number;
  cpuShares?: number;
  /** Microseconds. */
  cpuPeriod?: number;
  cpuQuota?: number;
  /** e.g. `0-3`. */
  cpusetCpus?: string;
  cpusetMems?: string;
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
  export_cache?: { Value: boolean };
  caps?: Record<string, boolean>;
  progress_group?: { id: string; name: string; weak?: boolean };
  linux_resources?: LinuxResources;
}

/** An op node of the graph. */
export interface Vertex {
  /** The outputs of other vertices this one reads, in the order marshalling visits them. */
  inputs(): Output[];
  /** Marshals this vertex (its inputs must be marshallable too). */
  marshal(c: Constraints): MarshalledOp;
}

/** One result of a vertex. */
export interface Output {
  readonly vertex: Vertex;
  readonly index: number;
  /** The platform a state built on this output inherits (sources and execs given one). */
  readonly platform?: Platform;
}
