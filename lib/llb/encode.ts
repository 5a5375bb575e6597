/**
 * Deterministic protobuf encoding, byte for byte what BuildKit's Go encoder
 * writes: fields in number order (protobufjs sorts by id), proto3 zero values
 * omitted, map entries sorted by key, set-but-empty messages kept.
 */
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
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

/** Compares strings by UTF-8 bytes (Go's string order), not UTF-16 units. */
export function compareBytes(a: string, b: string): number {
  const x = Buffer.from(a), y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** Encodes a `pb.Op`. */
export function encodeOp(op: Message): Uint8Array {
  return plain(OpType.encode(OpType.fromObject(prune(OpType, op))).finish());
}

/** `sha256:<hex>` of the bytes, the digest BuildKit names ops by. */
export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Encodes a `pb.Definition` from marshalled ops and their metadata. */
export function encodeDefinition(
  ops: Uint8Array[],
  metadata: Record<string, OpMetadataValue>,
): Uint8Array {
  const md: Record<string, Message> = {};
  for (const [dgst, m] of Object.entries(metadata)) {
    md[dgst] = prune(OpMetadataType, { ...m });
  }
  const def = DefinitionType.fromObject({ def: ops, metadata: sortedMap(md) });
  return plain(DefinitionType.encode(def).finish());
}

/** protobufjs hands out node Buffers; callers get plain Uint8Arrays. */
function plain(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
