/**
 * Adding packages to a local repository directory (`<out>/<arch>`) so that
 * builds running at once into the same directory all land: every change
 * happens under an exclusive lock on the directory (flock, released by the
 * kernel when a process dies), the index is read, merged and written under
 * that lock, and every file is written under a temporary name, synced and
 * renamed into place, so a killed build leaves either the old file or the
 * new one, never half of one. Temporary files a killed process left behind
 * are removed by the next process that takes the lock.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { type ApkPackage, readIndexArchive, writeIndexArchive } from "./index.ts";
import type { SigningKey } from "./signature.ts";
import { compareVersions } from "./version.ts";

/** The index's file name in a repository directory. */
export const INDEX_FILE = "APKINDEX.tar.gz";

/** Temporary files start with this; only a process holding the lock writes them. */
export const TEMP_PREFIX = ".melange2-tmp-";

/** The file name of a package, as apk-tools and melange name it. */
export function packageFileName(p: { name: string; version: string }): string {
  return `${p.name}-${p.version}.apk`;
}

/** A package ready to be added: its index record and its bytes. */
export interface MadePackage {
  info: ApkPackage;
  bytes: Uint8Array;
}

/** Options of {@link addToRepository}. */
export interface AddOptions {
  signingKey?: SigningKey;
  /** Checked until the first file is renamed into place; after that the change completes. */
  signal?: AbortSignal;
  /** Told when another process holds the lock. */
  log?: (line: string) => void;
}

/**
 * Writes `made` into `dir` (created when missing) and brings its signed
 * index up to date: entries of the same name and version are replaced,
 * entries whose file is gone are dropped, the others are kept. Returns the
 * package files written.
 */
export async function addToRepository(
  dir: string,
  made: MadePackage[],
  opts: AddOptions = {},
): Promise<string[]> {
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  try {
    return await withDirectoryLock(dir, opts, () => addLocked(dir, made, opts));
  } catch (err) {
    // A directory this call made and nothing landed in goes again (rmdir refuses a full one).
    if (created) {
      try {
        rmdirSync(dir);
      } catch { /* another build wrote there meanwhile */ }
    }
    throw err;
  }
}

/** {@link addToRepository} once the lock is held. */
async function addLocked(dir: string, made: MadePackage[], opts: AddOptions): Promise<string[]> {
  removeStaleTemps(dir);
  const temps: string[] = [];
  try {
    const staged = made.map((m) => {
      const tmp = tempName(dir);
      temps.push(tmp);
      writeDurably(tmp, m.bytes);
      return { tmp, file: join(dir, packageFileName(m.info)) };
    });
    const index = await mergedIndex(dir, made.map((m) => m.info), opts.signingKey);
    const indexTmp = tempName(dir);
    temps.push(indexTmp);
    writeDurably(indexTmp, index);
    if (opts.signal?.aborted) throw new UserError("build cancelled", { exitCode: 130 });
    // Packages first, then the index that names them: a crash in between leaves
    // files the old index does not list, never an index naming a missing file.
    for (const s of staged) renameSync(s.tmp, s.file);
    renameSync(indexTmp, join(dir, INDEX_FILE));
    syncDirectory(dir);
    return staged.map((s) => s.file);
  } finally {
    for (const t of temps) rmSync(t, { force: true });
  }
}

/** Runs `fn` holding an exclusive lock on the directory `dir`. */
async function withDirectoryLock<T>(
  dir: string,
  opts: AddOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const handle = Deno.openSync(dir, { read: true });
  try {
    let locked = false;
    const waiting = setTimeout(() => {
      if (!locked) opts.log?.(`waiting for another build to finish writing ${dir}`);
    }, 1000);
    try {
      await handle.lock(true);
      locked = true;
    } finally {
      clearTimeout(waiting);
    }
    try {
      return await fn();
    } finally {
      handle.unlockSync();
    }
  } finally {
    handle.close();
  }
}

function tempName(dir: string): string {
  return join(dir, `${TEMP_PREFIX}${crypto.randomUUID()}`);
}

/** Temporary files found while holding the lock belong to a process that died. */
function removeStaleTemps(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(TEMP_PREFIX)) rmSync(join(dir, name), { force: true, recursive: true });
  }
}

/** Writes `bytes` to `file` and flushes them to the disk before returning. */
function writeDurably(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, "wx", 0o644);
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the renames in `dir` durable. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on a directory; the renames are done either way
  } finally {
    closeSync(fd);
  }
}

/** The directory's index with `built` merged in, sorted by name and version. */
async function mergedIndex(
  dir: string,
  built: ApkPackage[],
  key: SigningKey | undefined,
): Promise<Uint8Array> {
  const file = join(dir, INDEX_FILE);
  const id = (p: ApkPackage) => `${p.name}\0${p.version}`;
  const byId = new Map<string, ApkPackage>();
  if (existsSync(file)) {
    // Our own output directory: entries are kept only while their files are there.
    const old = await readIndexArchive(readFileSync(file), { keys: new Map() }, {
      allowUntrusted: true,
      source: file,
    });
    for (const p of old) if (existsSync(join(dir, packageFileName(p)))) byId.set(id(p), p);
  }
  for (const p of built) byId.set(id(p), p);
  const all = [...byId.values()].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : compareVersions(a.version, b.version) ||
      (a.version < b.version ? -1 : a.version > b.version ? 1 : 0)
  );
  return await writeIndexArchive(all, { signingKey: key });
}
