/**
 * Reading a file the user (or a repository) named, safely: only a regular
 * file, and at most a given size. It is opened without blocking and
 * checked before any byte is read, since a FIFO would block forever (and
 * Ctrl-C cannot interrupt a blocked synchronous read) and a device such as
 * /dev/zero never ends.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { UserError } from "./errors.ts";

/** The bytes of a regular file of at most `limit` bytes, refusing anything else unread. */
export function readRegularFile(file: string, what = "", limit: number): Uint8Array {
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
