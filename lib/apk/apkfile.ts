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
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new UserError(`reading ${path}: ${(err as Error).message}`);
  }
  let head: ApkHead | undefined;
  for (let n = Math.min(FIRST_READ, size);; n = Math.min(n * 2, size)) {
    try {
      head = await readApkHead(readHead(path, n), keyring, opts);
      break;
    } catch (err) {
      if (n >= size) throw err; // the whole file, so the package itself is at fault
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
