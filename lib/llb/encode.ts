/**
 * Deterministic protobuf encoding, byte for byte what BuildKit's Go encoder
 * writes: plain fields in number order, then oneof members; proto3 zero
 * values omitted, map entries sorted by key, set-but-empty messages kept.
 */
import { createHash } from "node:crypto";
import protobuf from "protobufjs";
import { DefinitionType, OpMetadataType, OpType } from "./proto.ts";
import type { OpMetadataValue } from "./types.ts";

/** An Op or nested message as a plain object in protobufjs' field names. */
export type Message = { [field: string]: unknown };

/**
 * Drops proto3 zero values (0, "", false, empty lists and bytes) the way Go
 * omits them. Nested messages stay even when empty, and so do members of a
 * oneof: Go writes a set message or oneof member even when it is zero.
 */
export function prune(type: protobuf.Type, value: Message): Message {
  const out: Message = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    const field = type.fields[key];
    if (!field) throw new Error(`${type.name} has no field ${key}`);
    const sub = field.resolve().resolvedType;
    const message = sub instanceof protobuf.Type ? sub : undefined;
    if (field.map) {
      if (Object.keys(v as object).length) out[key] = sortedMap(v as Record<string, unknown>);
    } else if (field.repeated) {
      const list = v as unknown[];
      if (list.length) out[key] = message ? list.map((x) => prune(message, x as Message)) : list;
    } else if (message) {
      out[key] = prune(message, v as Message);
    } else if (field.partOf || !isZero(v)) {
      out[key] = v;
    }
  }
  return out;
}

function isZero(v: unknown): boolean {
  return v === 0 || v === "" || v === false || (v instanceof Uint8Array && v.length === 0);
}

/** Copies a map with its keys in byte order, as Go's deterministic marshal writes them. */
export function sortedMap<T>(m: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m).sort(compareBytes)) out[k] = m[k];
  return out;
}

/**
 * Compares strings by UTF-8 bytes (Go's string order). That is code point
 * order, which differs from JavaScript's UTF-16 order only where a surrogate
 * (a code point above U+FFFF) meets a unit from U+E000 up: fixed at the
 * first difference, without encoding either string.
 */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff, ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (xs ? y : x) >= 0xe000) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

const OP_KINDS = new Set(["exec", "source", "file", "build", "merge", "diff", "passthrough"]);

/**
 * Encodes a `pb.Op` as Go's protobuf runtime orders it: the plain fields in
 * number order (inputs, platform, constraints), then the member of the `op`
 * oneof. protobufjs writes by field number only, so the two parts are encoded
 * apart and joined (protobuf allows a message's fields in any order).
 */
export function encodeOp(op: Message): Uint8Array {
  const plainPart: Message = {}, oneofPart: Message = {};
  for (const [k, v] of Object.entries(op)) (OP_KINDS.has(k) ? oneofPart : plainPart)[k] = v;
  // The pruned objects hold only values of the right types, which protobufjs
  // encodes as they are (no fromObject copy); its plain Writer, not the
  // Buffer-based one, is the faster for small messages of short strings.
  const w = new protobuf.Writer();
  OpType.encode(prune(OpType, plainPart), w);
  OpType.encode(prune(OpType, oneofPart), w);
  return w.finish();
}

/** `sha256:<hex>` of the bytes, the digest BuildKit names ops by. */
export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Encodes a `pb.Definition` from marshalled ops and their metadata. Go's
 * client records a (here always empty) source location entry for every op it
 * marshalled, which is every op but the final one; `located` lists their
 * digests. An empty graph has no source section at all.
 */
export function encodeDefinition(
  ops: Uint8Array[],
  metadata: Record<string, OpMetadataValue>,
  located: Iterable<string> = [],
): Uint8Array {
  const md: Record<string, Message> = {};
  for (const [dgst, m] of Object.entries(metadata)) {
    md[dgst] = prune(OpMetadataType, { ...m });
  }
  const locations: Record<string, Message> = {};
  for (const dgst of located) locations[dgst] = {};
  const def = prune(DefinitionType, {
    def: ops,
    metadata: sortedMap(md),
    Source: ops.length ? { locations: sortedMap(locations) } : undefined,
  });
  return DefinitionType.encode(def, new protobuf.Writer()).finish();
}
