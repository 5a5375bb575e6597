/**
 * Reading a build file (or a vars, env or pipeline file) the user named:
 * only a regular file, at most {@link MAX_INPUT_BYTES}, and valid UTF-8.
 * A FIFO would block forever and a device such as /dev/zero never ends, so
 * the file is opened without blocking and checked before any byte is read;
 * invalid UTF-8 (Latin-1 bytes, say) is refused at its line rather than
 * silently replaced.
 */
import { UserError } from "../errors.ts";
import { readRegularFile } from "../readfile.ts";

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
  return readRegularFile(file, what, limit);
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
