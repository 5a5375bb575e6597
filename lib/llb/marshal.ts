/**
 * Marshalling a graph into a `pb.Definition`: ops in dependency order (inputs
 * first, each once), per-op metadata, and the final op that names the
 * graph's output, exactly as BuildKit's client writes them.
 */
import { digestOf, encodeDefinition, encodeOp } from "./encode.ts";
import { inputMessage } from "./op.ts";
import { type Constraints, DEFAULT_PLATFORM, type OpMetadataValue, type Vertex } from "./types.ts";
import type { State } from "./state.ts";

/** A marshalled graph. */
export interface Definition {
  /** Marshalled `pb.Op`s, inputs before the ops that read them; the last names the output. */
  def: Uint8Array[];
  /** Metadata by op digest. */
  metadata: Record<string, OpMetadataValue>;
  /** Digest of the final op. */
  digest: string;
  /** The serialized `pb.Definition` (what `buildctl build` reads). */
  bytes: Uint8Array;
}

/** Options of {@link marshal}. */
export interface MarshalOptions {
  platform?: Constraints["platform"];
  /**
   * `local.unique` for local sources that set none. Keep it stable across
   * runs for a given source so BuildKit's cache of local files is reused.
   */
  localUniqueId?: string;
}

/** Marshals the graph that produces `state`. Scratch gives an empty definition. */
export function marshal(state: State, opts: MarshalOptions = {}): Definition {
  const c: Constraints = {
    platform: opts.platform ?? DEFAULT_PLATFORM,
    localUniqueId: opts.localUniqueId ?? "melange2",
  };
  const out = state.output();
  if (!out) {
    return { def: [], metadata: {}, digest: "", bytes: encodeDefinition([], {}) };
  }
  const def: Uint8Array[] = [];
  const metadata: Record<string, OpMetadataValue> = {};
  const seen = new Set<Vertex>();
  const written = new Set<string>();
  const emit = (v: Vertex) => {
    seen.add(v);
    const m = v.marshal(c);
    metadata[m.digest] = mergeMetadata(metadata[m.digest], m.metadata);
    if (written.has(m.digest)) return;
    written.add(m.digest);
    def.push(m.bytes);
  };
  // Inputs first, depth first, in input order; with an explicit stack, since
  // a build of 10,000 steps is a chain 10,000 vertices deep.
  const stack: { v: Vertex; inputs: Vertex[]; next: number }[] = [];
  const enter = (v: Vertex) => stack.push({ v, inputs: v.inputs().map((i) => i.vertex), next: 0 });
  enter(out.vertex);
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.next < top.inputs.length) {
      const input = top.inputs[top.next++];
      if (!seen.has(input)) enter(input);
      continue;
    }
    stack.pop();
    if (!seen.has(top.v)) emit(top.v);
  }

  const final = encodeOp({ inputs: [inputMessage(out, c)] });
  const digest = digestOf(final);
  def.push(final);
  const caps: Record<string, boolean> = { constraints: true, platform: true };
  for (const m of Object.values(metadata)) {
    if (m.ignore_cache) caps["meta.ignorecache"] = true;
    if (m.description) caps["meta.description"] = true;
  }
  metadata[digest] = { caps };
  return { def, metadata, digest, bytes: encodeDefinition(def, metadata) };
}

function mergeMetadata(a: OpMetadataValue | undefined, b: OpMetadataValue): OpMetadataValue {
  if (!a) return b;
  return {
    ignore_cache: a.ignore_cache || b.ignore_cache || undefined,
    description: a.description || b.description
      ? { ...a.description, ...b.description }
      : undefined,
    caps: a.caps || b.caps ? { ...a.caps, ...b.caps } : undefined,
    progress_group: b.progress_group ?? a.progress_group,
  };
}
