/**
 * Gzip members. An APK (and an APKINDEX.tar.gz) is several gzip streams
 * glued together, and signatures cover the compressed bytes of one stream,
 * so readers need each member's exact byte range, which a plain
 * multi-member gunzip hides. node:zlib does the inflating; this module only
 * walks the RFC 1952 member headers around it.
 */
import { UserError } from "../errors.ts";
import zlib from "node:zlib";

/** One gzip member of a concatenation. */
export interface GzipMember {
  /** Offset of the member's first byte. */
  offset: number;
  /** The member's compressed bytes, header and trailer included. */
  raw: Uint8Array;
  /** The decompressed contents. */
  data: Uint8Array;
}

const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;
const FHCRC = 2;

function headerLength(b: Uint8Array, o: number): number {
  if (b.length - o < 10 || b[o] !== 0x1f || b[o + 1] !== 0x8b || b[o + 2] !== 8) {
    throw new UserError(`not a gzip stream at byte ${o}`);
  }
  const flags = b[o + 3];
  let p = o + 10;
  if (flags & FEXTRA) p += 2 + (b[p] | (b[p + 1] << 8));
  if (flags & FNAME) { while (p < b.length && b[p++] !== 0); }
  if (flags & FCOMMENT) { while (p < b.length && b[p++] !== 0); }
  if (flags & FHCRC) p += 2;
  if (p > b.length) throw new UserError(`truncated gzip header at byte ${o}`);
  return p - o;
}

/**
 * Splits `bytes` into its gzip members (at most `max`; the rest is left
 * unread), each decompressing to at most `limit` bytes (a gzip bomb is
 * refused, not inflated until memory runs out).
 */
export function gzipMembers(bytes: Uint8Array, max = Infinity, limit = Infinity): GzipMember[] {
  const out: GzipMember[] = [];
  let offset = 0;
  while (offset < bytes.length && out.length < max) {
    const h = headerLength(bytes, offset);
    let res: { buffer: Uint8Array; engine: { bytesWritten: number } };
    try {
      // deno-lint-ignore no-explicit-any
      res = zlib.inflateRawSync(
        bytes.subarray(offset + h),
        // deno-lint-ignore no-explicit-any
        { info: true, ...(limit < Infinity ? { maxOutputLength: limit } : {}) } as any,
      ) as any;
    } catch (err) {
      const msg = (err as Error).message;
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw new UserError(
          `gzip stream at byte ${offset} decompresses to more than ${limit} bytes`,
        );
      }
      if (/unexpected end/i.test(msg)) {
        throw new UserError(`truncated gzip stream at byte ${offset}`);
      }
      throw new UserError(`corrupt gzip stream at byte ${offset}: ${msg}`);
    }
    const end = offset + h + res.engine.bytesWritten + 8;
    if (end > bytes.length) throw new UserError(`truncated gzip stream at byte ${offset}`);
    const data = new Uint8Array(res.buffer.buffer, res.buffer.byteOffset, res.buffer.byteLength);
    const trailer = new DataView(bytes.buffer, bytes.byteOffset + end - 8, 8);
    if (trailer.getUint32(4, true) !== (data.length >>> 0)) {
      throw new UserError(`corrupt gzip stream at byte ${offset}: length mismatch`);
    }
    if ((zlib.crc32(data) >>> 0) !== trailer.getUint32(0, true)) {
      throw new UserError(`corrupt gzip stream at byte ${offset}: CRC mismatch`);
    }
    out.push({ offset, raw: bytes.subarray(offset, end), data });
    offset = end;
  }
  return out;
}

/**
 * Compresses one member. The header's OS byte is fixed to 3 (Unix) so the
 * same input gives the same bytes on every platform.
 */
export function gzip(data: Uint8Array, level = 9): Uint8Array {
  const out = zlib.gzipSync(data, { level });
  out[9] = 3;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
