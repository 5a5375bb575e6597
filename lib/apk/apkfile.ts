/**
 * A package read from a file without holding it in memory: the signature
 * and control members come from the head of the file (as much of it as
 * they take), the data part streams from the disk, and its SHA-256 is
 * checked against `.PKGINFO`'s datahash once it has been read.
 */
import { createHash } from "node:crypto";
import { closeSync, createReadStream, openSync, readSync, statSync } from "node:fs";
import { UserError } from "../errors.ts";
import { type ApkHead, datahashMismatch, readApkHead } from "./archive.ts";
import type { Keyring, TrustOptions } from "./signature.ts";

/** An opened package file. */
export interface ApkStream {
  head: ApkHead;
  /** The data part (gzip), chunk by chunk from the disk. */
  data: AsyncIterable<Uint8Array>;
  /** Throws unless the data part's SHA-256 is the datahash (reading what `data` did not). */
  verifyDatahash(): Promise<void>;
}

/** The first head read; doubled until the control member fits. */
const FIRST_READ = 128 << 10;

/** Opens and verifies the package at `path`. Errors name `opts.source`. */
export async function openApk(
  path: string,
  keyring: Keyring,
  opts: TrustOptions,
): Promise<ApkStream> {
  const size = regularFileSize(path);
  let head: ApkHead | undefined;
  for (let n = Math.min(FIRST_READ, size);; n = Math.min(n * 2, size)) {
    try {
      head = await readApkHead(readHead(path, n), keyring, opts);
      break;
    } catch (err) {
      // The whole file was read, so the package itself is at fault: say which file.
      if (n >= size) {
        const message = (err as Error).message;
        throw new UserError(message.includes(path) ? message : `${path}: ${message}`);
      }
    }
  }
  const start = head.dataOffset;
  if (start >= size) throw new UserError(`${opts.source}: truncated: no data part`);
  const hash = createHash("sha256");
  let read = 0;
  const chunks = (from: number) => createReadStream(path, { start: from, highWaterMark: 1 << 18 });
  return {
    head,
    data: (async function* () {
      for await (const chunk of chunks(start)) {
        hash.update(chunk);
        read += chunk.length;
        yield chunk as Uint8Array;
      }
    })(),
    async verifyDatahash() {
      const expected = head.info.datahash;
      if (!expected) return;
      if (start + read < size) {
        for await (const chunk of chunks(start + read)) hash.update(chunk);
      }
      const actual = hash.digest("hex");
      if (actual !== expected) throw datahashMismatch(opts.source, actual, expected);
    },
  };
}

function readHead(path: string, n: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/** The size of a package file, refusing what is not a regular file (a FIFO would hang a read). */
function regularFileSize(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new UserError(`reading ${path}: ${why}`);
  }
  if (st.isDirectory()) throw new UserError(`reading ${path}: is a directory, not a file`);
  if (!st.isFile()) {
    throw new UserError(`reading ${path}: not a regular file (a FIFO, socket or device)`);
  }
  return st.size;
}
