/**
 * Reading a serialized definition back, for `debug dump-llb`: one JSON line
 * per op with its digest and metadata, in the shape `buildctl debug dump-llb`
 * prints (the op's oneof under "Op", a file action's under "Action").
 */
import { UserError } from "../errors.ts";
import { digestOf } from "./encode.ts";
import { DefinitionType, OpType } from "./proto.ts";

/** One op of a dumped definition. */
export interface DumpedOp {
  Op: Record<string, unknown>;
  Digest: string;
  OpMetadata: Record<string, unknown>;
}

const OBJECT_OPTS = { longs: Number, bytes: String, enums: Number, defaults: false } as const;
const OP_KINDS = ["exec", "source", "file", "build", "merge", "diff", "passthrough"];
const ACTION_KINDS = ["copy", "mkfile", "mkdir", "rm", "symlink"];

/** Decodes `pb.Definition` bytes; a clear error when they are not one. */
export function decodeDefinition(
  bytes: Uint8Array,
): { def: Uint8Array[]; metadata: Record<string, unknown> } {
  try {
    const msg = DefinitionType.decode(bytes);
    const obj = DefinitionType.toObject(msg, { ...OBJECT_OPTS, bytes: Uint8Array }) as {
      def?: Uint8Array[];
      metadata?: Record<string, unknown>;
    };
    const def = obj.def ?? [];
    for (const op of def) OpType.decode(op);
    return { def, metadata: obj.metadata ?? {} };
  } catch (err) {
    throw new UserError(`not a serialized LLB definition: ${(err as Error).message}`);
  }
}

/** Every op of a serialized definition with its digest and metadata. */
export function dumpDefinition(bytes: Uint8Array): DumpedOp[] {
  const { def } = decodeDefinition(bytes);
  const mdObjects = DefinitionType.toObject(DefinitionType.decode(bytes), OBJECT_OPTS).metadata ??
    {};
  return def.map((opBytes) => {
    const digest = digestOf(opBytes);
    const raw = OpType.toObject(OpType.decode(opBytes), OBJECT_OPTS) as Record<string, unknown>;
    return {
      Op: reshapeOp(raw),
      Digest: digest,
      OpMetadata: (mdObjects[digest] ?? {}) as Record<string, unknown>,
    };
  });
}

/**
 * Index fields BuildKit's Go types print even when zero (they are custom
 * types without omitempty), filled in so the dump reads the same.
 */
function withIndexes<T extends Record<string, unknown>>(obj: T, keys: string[]): T {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = obj[k] ?? 0;
  return { ...out, ...obj } as T;
}

function reshapeOp(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (raw.inputs) {
    out.inputs = (raw.inputs as Record<string, unknown>[]).map((i) =>
      withIndexes(i, ["digest", "index"])
    );
  }
  const exec = raw.exec as { mounts?: Record<string, unknown>[] } | undefined;
  if (exec?.mounts) {
    exec.mounts = exec.mounts.map((m) => withIndexes(m, ["input", "dest", "output"]));
  }
  for (const k of ["merge"] as const) {
    const m = raw[k] as { inputs?: Record<string, unknown>[] } | undefined;
    if (m?.inputs) m.inputs = m.inputs.map((i) => withIndexes(i, ["input"]));
  }
  const d = raw.diff as Record<string, Record<string, unknown>> | undefined;
  if (d) {
    for (const side of ["lower", "upper"]) if (d[side]) d[side] = withIndexes(d[side], ["input"]);
  }
  const kind = OP_KINDS.find((k) => k in raw);
  out.Op = kind
    ? { [kind]: kind === "file" ? reshapeFile(raw.file as Record<string, unknown>) : raw[kind] }
    : null;
  if (raw.platform) out.platform = raw.platform;
  if (raw.constraints) out.constraints = raw.constraints;
  return out;
}

function reshapeFile(file: Record<string, unknown>): Record<string, unknown> {
  const actions = (file.actions as Record<string, unknown>[] | undefined ?? []).map((a) => {
    const kind = ACTION_KINDS.find((k) => k in a)!;
    const { [kind]: action, ...rest } = a;
    return {
      ...withIndexes(rest, ["input", "secondaryInput", "output"]),
      Action: { [kind]: action },
    };
  });
  return { actions };
}
