/**
 * Reading a build file (or a vars, env or pipeline file) the user named:
 * only a regular file, at most {@link MAX_INPUT_BYTES}, and valid UTF-8.
 * A FIFO would block forever and a device such as /dev/zero never ends, so
 * the file is opened without blocking and checked before any byte is read;
 * invalid UTF-8 (Latin-1 bytes, say) is refused at its line rather than
 * silently replaced.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { UserError } from "../errors.ts";

/** The largest input file read (16 MiB): far beyond any real build file. */
export const MAX_INPUT_BYTES = 16 << 20;

/** Reads `file` as UTF-8 text; `what` prefixes errors (`--vars-file `). */
export function readInputText(file: string, what = "", limit = MAX_INPUT_BYTES): string {
  const bytes = readInputBytes(file, what, limit);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = invalidUtf8At(bytes);
    const before = bytes.subarray(0, at);
    const line = before.filter((b) => b === 10).length + 1;
    const col = at - (before.lastIndexOf(10) + 1) + 1;
    throw new UserError(
      `${what}${file}:${line}:${col}: not valid UTF-8 (byte 0x${
        bytes[at].toString(16).padStart(2, "0")
      }); save the file as UTF-8`,
    );
  }
}

/** The bytes of a regular file of at most `limit` bytes, refusing anything else unread. */
export function readInputBytes(file: string, what = "", limit = MAX_INPUT_BYTES): Uint8Array {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "ENOENT"
      ? "no such file"
      : e.code === "EACCES"
      ? "permission denied"
      : e.code === "EISDIR"
      ? "is a directory, not a file"
      : e.message;
    throw new UserError(`${what}${file}: ${why}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UserError(`${what}${file}: is a directory, not a file`);
    if (!st.isFile()) {
      throw new UserError(`${what}${file}: not a regular file (a FIFO, socket or device)`);
    }
    if (st.size > limit) {
      throw new UserError(
        `${what}${file}: ${st.size} bytes; files over ${limit} bytes are refused`,
      );
    }
    // Read until the end, refusing once past the limit: the file may have
    // grown since fstat, and files in /proc say they have 0 bytes.
    const chunks: Uint8Array[] = [];
    let n = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.max(65536, st.size + 1 - n));
      const got = readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) break;
      chunks.push(chunk.subarray(0, got));
      n += got;
      if (n > limit) throw new UserError(`${what}${file}: larger than ${limit} bytes; refused`);
    }
    const buf = new Uint8Array(n);
    let at = 0;
    for (const c of chunks) buf.set(c, at), at += c.length;
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Offset of the first byte that breaks UTF-8 (the decoder said there is one). */
function invalidUtf8At(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80
      ? 0
      : c >= 0xc2 && c < 0xe0
      ? 1
      : c >= 0xe0 && c < 0xf0
      ? 2
      : c >= 0xf0 && c < 0xf5
      ? 3
      : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
    }
    const cp = n === 2
      ? ((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6)
      : n === 3
      ? ((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12)
      : 0x80;
    if (
      (n === 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
      (n === 3 && (cp < 0x10000 || cp > 0x10ffff))
    ) return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}
