/**
 * PAX record values as bytes. tar-stream decodes every PAX value as UTF-8
 * text, which loses xattr values that are not (most `security.capability`
 * values); Go's archive/tar, and so melange and apko, write them as raw
 * bytes. This pass-through stream sits in front of tar-stream, follows the
 * archive's 512-byte blocks only far enough to keep each extended header's
 * body, and hands the records, bytes intact, to the entry they belong to.
 */
import { Buffer } from "node:buffer";
import { Transform } from "node:stream";

const BLOCK = 512;
/** Header types that describe the next entry rather than being one (as tar-stream treats them). */
const META = new Set(["x", "g", "L", "K"]);

/** Raw PAX records, by key. */
export type RawPax = Map<string, Uint8Array>;

/** Parses an extended header's body: `LEN key=value\n` records. */
export function parseRawPax(body: Uint8Array): RawPax {
  const out: RawPax = new Map();
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(new TextDecoder().decode(body.subarray(at, space)));
    if (!Number.isInteger(len) || len <= 0 || at + len > body.length) break;
    const record = body.subarray(space + 1, at + len - 1); // without the newline
    const eq = record.indexOf(0x3d);
    if (eq > 0) out.set(new TextDecoder().decode(record.subarray(0, eq)), record.subarray(eq + 1));
    at += len;
  }
  return out;
}

/** A header's size field: octal text, or base-256 when its first byte has the high bit. */
function sizeOf(header: Uint8Array): number {
  const field = header.subarray(124, 136);
  if (field[0] & 0x80) {
    let n = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return n;
  }
  const text = new TextDecoder().decode(field).replace(/[\0 ]+$/, "").trim();
  return text ? parseInt(text, 8) : 0;
}

/**
 * The pass-through stream and, per entry in archive order, the raw PAX
 * records that came before it (`shift()` once per entry tar-stream emits).
 */
export function rawPaxTap(): { stream: Transform; shift(): RawPax | undefined } {
  const queue: (RawPax | undefined)[] = [];
  let pending: RawPax | undefined;
  let header = new Uint8Array(0);
  let skip = 0; // body bytes (with padding) still to pass over
  let keep: Uint8Array[] | undefined; // an extended header's body being collected
  let keepLeft = 0;

  const take = (chunk: Uint8Array) => {
    let at = 0;
    while (at < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - at);
        if (keep && keepLeft > 0) {
          const k = Math.min(n, keepLeft);
          keep.push(chunk.slice(at, at + k));
          keepLeft -= k;
          if (keepLeft === 0) {
            const records = parseRawPax(Buffer.concat(keep));
            pending = new Map([...(pending ?? []), ...records]);
            keep = undefined;
          }
        }
        skip -= n;
        at += n;
        continue;
      }
      const need = BLOCK - header.length;
      const part = chunk.subarray(at, at + need);
      header = header.length ? Buffer.concat([header, part]) : part.slice();
      at += part.length;
      if (header.length < BLOCK) break;
      const h = header;
      header = new Uint8Array(0);
      if (h.every((b) => b === 0)) continue; // end-of-archive blocks
      const type = String.fromCharCode(h[156] || 0x30);
      const paxSize = pending?.get("size");
      const size = !META.has(type) && paxSize
        ? Number(new TextDecoder().decode(paxSize))
        : sizeOf(h);
      // As tar-stream reads it: every entry but a directory is followed by its size in bytes.
      const bodyBytes = type === "5" ? 0 : size;
      skip = Math.ceil(bodyBytes / BLOCK) * BLOCK;
      if (type === "x") {
        keep = [];
        keepLeft = bodyBytes;
        if (!bodyBytes) keep = undefined;
      } else if (!META.has(type)) {
        queue.push(pending);
        pending = undefined;
      }
    }
  };

  const stream = new Transform({
    transform(chunk: Uint8Array, _enc, cb) {
      take(chunk);
      cb(null, chunk);
    },
  });
  return { stream, shift: () => queue.shift() };
}
