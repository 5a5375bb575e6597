/**
 * Explaining why two serialized definitions differ: both decoded, op by op
 * and field by field, so a failing differential test says what to fix.
 */
import { DefinitionType, OpType } from "../../lib/llb/proto.ts";
import { digestOf } from "../../lib/llb/encode.ts";
import { decodeDefinition } from "../../lib/llb/dump.ts";

const OPTS = { longs: String, bytes: String, enums: String, defaults: false } as const;

/** A readable account of how `ours` differs from `theirs` (empty when equal). */
export function explainMismatch(ours: Uint8Array, theirs: Uint8Array): string {
  const a = decode(ours), b = decode(theirs);
  const lines: string[] = [];
  const n = Math.max(a.ops.length, b.ops.length);
  for (let i = 0; i < n; i++) {
    const x = a.ops[i], y = b.ops[i];
    if (x?.digest === y?.digest) continue;
    lines.push(`op ${i}:`);
    lines.push(...fieldDiff(x?.op ?? {}, y?.op ?? {}, "  "));
    if (lines.length > 60) break;
  }
  const rest = fieldDiff(a.rest, b.rest, "  ");
  if (rest.length) lines.push("definition (metadata, source):", ...rest.slice(0, 40));
  if (!lines.length && ours.length !== theirs.length) lines.push("same fields, different bytes");
  return lines.length ? `definitions differ (ours vs Go's):\n${lines.join("\n")}` : "";
}

function decode(bytes: Uint8Array) {
  const def = DefinitionType.toObject(DefinitionType.decode(bytes), OPTS);
  const ops = decodeDefinition(bytes).def.map((op) => ({
    digest: digestOf(op),
    op: { ...OpType.toObject(OpType.decode(op), OPTS), _fieldOrder: fieldNumbers(op) },
  }));
  const { def: _d, ...rest } = def;
  return { ops, rest };
}

/** The top-level field numbers of an encoded op, in the order written (order is part of the bytes). */
function fieldNumbers(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let i = 0;
  const varint = () => {
    let v = 0, shift = 0, b;
    do {
      b = bytes[i++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return v;
  };
  while (i < bytes.length) {
    const key = varint();
    out.push(Math.floor(key / 8));
    const wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 2) {
      const length = varint();
      i += length;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
  }
  return out;
}

function fieldDiff(a: unknown, b: unknown, indent: string, path = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const objects = a && b && typeof a === "object" && typeof b === "object";
  if (!objects) return [`${indent}${path || "."}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
  const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])];
  return keys.flatMap((k) =>
    fieldDiff(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      indent,
      `${path}.${k}`,
    )
  );
}
