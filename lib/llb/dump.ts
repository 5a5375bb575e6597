/**
 * Reading a serialized definition back, for `debug dump-llb`: one JSON line
 * per op with its digest and metadata, in the shape BuildKit v0.32's
 * `buildctl debug dump-llb` prints (Go's encoding/json of its types: zero
 * fields left out, the op's oneof under "Op", a file action's under "Action").
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

function reshapeOp(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (raw.inputs) out.inputs = raw.inputs;
  const kind = OP_KINDS.find((k) => k in raw);
  const op = kind === "file" ? reshapeFile(raw.file as Record<string, unknown>) : raw[kind!];
  out.Op = kind ? { [kind]: op } : {};
  if (raw.platform) out.platform = raw.platform;
  if (raw.constraints) out.constraints = raw.constraints;
  return out;
}

/**
 * File actions as BuildKit's json.go writes them: the three indexes always,
 * the action under `Action` (its list lacks symlink, so a symlink shows as
 * `{}`), owners as `{"User": {"byName"|"byId": ...}}` with a zero id omitted.
 */
function reshapeFile(file: Record<string, unknown>): Record<string, unknown> {
  const actions = (file.actions as Record<string, unknown>[] | undefined ?? []).map((a) => {
    const kind = ACTION_KINDS.find((k) => k in a);
    const action = kind && kind !== "symlink"
      ? { [kind]: withOwners(a[kind] as Record<string, unknown>) }
      : {};
    return {
      input: a.input ?? 0,
      secondaryInput: a.secondaryInput ?? 0,
      output: a.output ?? 0,
      Action: action,
    };
  });
  return { actions };
}

function withOwners(action: Record<string, unknown>): Record<string, unknown> {
  const owner = action.owner as Record<string, Record<string, unknown>> | undefined;
  if (!owner) return action;
  const user = (u?: Record<string, unknown>) => {
    if (!u) return undefined;
    if (u.byName) return { User: { byName: u.byName } };
    return { User: u.byID ? { byId: u.byID } : {} };
  };
  const reshaped: Record<string, unknown> = {};
  if (owner.user) reshaped.user = user(owner.user);
  if (owner.group) reshaped.group = user(owner.group);
  return { ...action, owner: reshaped };
}
