/**
 * Reading a file the user (or a repository) named, safely: only a regular
 * file, and at most a given size, checked before any byte is read, since a
 * FIFO would block forever (and Ctrl-C cannot interrupt a blocked
 * synchronous read) and a device such as /dev/zero never ends.
 *
 * Deno's API, not node:fs: importing node:fs costs a one-file `compile`
 * about 10 ms of start-up (its module evaluation loads Node's streams).
 * Deno's open has no O_NONBLOCK, so the path is stat'ed first (a FIFO or a
 * device is refused unopened) and the opened file is checked to be the
 * one stat'ed; only someone who can already rewrite the user's files
 * could swap a FIFO in between the two.
 */
import { UserError } from "./errors.ts";

/** The bytes of a regular file of at most `limit` bytes, refusing anything else unread. */
export function readRegularFile(file: string, what = "", limit: number): Uint8Array {
  const before = statOrRefuse(file, what);
  checkRegular(before, file, what, limit);
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(file, { read: true });
  } catch (err) {
    throw new UserError(`${what}${file}: ${reason(err)}`);
  }
  try {
    const st = f.statSync();
    if (st.ino !== before.ino || st.dev !== before.dev) {
      throw new UserError(`${what}${file}: changed while it was opened; refused`);
    }
    checkRegular(st, file, what, limit);
    // Read until the end, refusing once past the limit: the file may have
    // grown since the stat, and files in /proc say they have 0 bytes.
    const chunks: Uint8Array[] = [];
    let n = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.max(65536, st.size + 1 - n));
      const got = f.readSync(chunk);
      if (got === null || got === 0) break;
      chunks.push(chunk.subarray(0, got));
      n += got;
      if (n > limit) throw new UserError(`${what}${file}: larger than ${limit} bytes; refused`);
    }
    // One read is the usual case: no copy unless most of its buffer is unused.
    if (chunks.length === 1) {
      return chunks[0].buffer.byteLength - n < 4096 ? chunks[0] : chunks[0].slice();
    }
    const buf = new Uint8Array(n);
    let at = 0;
    for (const c of chunks) buf.set(c, at), at += c.length;
    return buf;
  } finally {
    f.close();
  }
}

function statOrRefuse(file: string, what: string): Deno.FileInfo {
  try {
    return Deno.statSync(file);
  } catch (err) {
    throw new UserError(`${what}${file}: ${reason(err)}`);
  }
}

function checkRegular(st: Deno.FileInfo, file: string, what: string, limit: number): void {
  if (st.isDirectory) throw new UserError(`${what}${file}: is a directory, not a file`);
  if (!st.isFile) {
    throw new UserError(`${what}${file}: not a regular file (a FIFO, socket or device)`);
  }
  if (st.size > limit) {
    throw new UserError(`${what}${file}: ${st.size} bytes; files over ${limit} bytes are refused`);
  }
}

/** The words a user expects for the usual reasons an open fails. */
function reason(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "is a directory, not a file";
  if (err instanceof Deno.errors.NotADirectory) return "a part of the path is not a directory";
  return (err as Error).message;
}
