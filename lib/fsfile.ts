/**
 * Files read and written whole, by descriptor: a sent file is read in
 * chunks; a received one is created, appended to as its contents arrive,
 * then given owner, permissions and times and closed. A transfer of 20,000
 * files spends much of its client time here; on Linux the calls go to libc
 * (lib/libc.ts), which saves Deno's node:fs wrappers on every read and
 * write and the path lookups of chown, chmod and utimes on every file.
 * Elsewhere, or without FFI, node:fs does the same by path.
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  lchownSync,
  lutimesSync,
  openSync,
  readSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { cstr, lastError, type Libc, libc, setTimesNs, timespecs } from "./libc.ts";

/** What a file gets once its contents are written. */
export interface FileMeta {
  /** Owner to set; left as it is when absent. */
  owner?: { uid: number; gid: number };
  /** Permission bits (with setuid, setgid and sticky). */
  perm: number;
  /** Modification (and access) time, nanoseconds since the epoch. */
  mtimeNs: bigint;
  /**
   * Runs once the owner is set and before the permissions: where extended
   * attributes go, since changing the owner clears security.capability
   * (and setuid bits, which is why the permissions come last).
   */
  beforePerm?: () => void;
}

/** A file being read. */
export interface FileReader {
  /** Reads into `into`; the bytes read, 0 at the end. */
  read(into: Uint8Array): number;
  close(): void;
}

/** Opens `path` to read. `via` is libc, or null for node:fs (chosen by tests). */
export function openFile(path: string, via: Libc | null = libc()): FileReader {
  if (!via) {
    const fd = openSync(path, "r");
    return once({
      read: (into) => readSync(fd, into, 0, into.length, null),
      close: () => closeSync(fd),
    });
  }
  const l = via;
  const fd = l.open(cstr(path), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) throw new Error(`opening ${path}: ${lastError(l)}`);
  return once({
    read(into) {
      const n = Number(l.read(fd, into, BigInt(into.length)));
      if (n < 0) throw new Error(`reading ${path}: ${lastError(l)}`);
      return n;
    },
    close: () => l.close(fd),
  });
}

/** `file` with a close that acts once. */
function once<T extends { close(): void }>(file: T): T {
  let open = true;
  const close = file.close;
  file.close = () => {
    if (open) close();
    open = false;
  };
  return file;
}

/** A file being written. */
export interface FileWriter {
  /** Appends `data`. */
  write(data: Uint8Array): void;
  /** Sets `meta` and closes the file. */
  finish(meta: FileMeta): void;
  /** Closes the file as it is (after a failure). */
  close(): void;
}

/**
 * Creates (or truncates) `path`, readable only by us until it is finished.
 * `via` is libc, or null for node:fs (the fallback, chosen by tests).
 */
export function createFile(path: string, via: Libc | null = libc()): FileWriter {
  return via ? libcWriter(via, path) : nodeWriter(path);
}

const O_RDONLY = 0, O_WRONLY = 0o1, O_CREAT = 0o100, O_TRUNC = 0o1000, O_CLOEXEC = 0o2000000;

function libcWriter(l: Libc, path: string): FileWriter {
  const fd = l.open(cstr(path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600);
  if (fd < 0) throw new Error(`creating ${path}: ${lastError(l)}`);
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`${what} ${path}: ${lastError(l)}`);
  };
  return once({
    write(data) {
      for (let at = 0; at < data.length;) {
        const n = Number(l.write(fd, at ? data.subarray(at) : data, BigInt(data.length - at)));
        check(n > 0, "writing");
        at += n;
      }
    },
    finish(meta) {
      if (meta.owner) {
        check(l.fchown(fd, meta.owner.uid, meta.owner.gid) === 0, "changing the owner of");
      }
      meta.beforePerm?.();
      check(l.fchmod(fd, meta.perm) === 0, "changing the mode of");
      check(l.futimens(fd, timespecs(meta.mtimeNs)) === 0, "setting the times of");
      this.close();
    },
    close: () => l.close(fd),
  });
}

function nodeWriter(path: string): FileWriter {
  const fd = openSync(path, "w", 0o600);
  return once({
    write(data) {
      writeSync(fd, data);
    },
    finish(meta) {
      this.close();
      setMeta(path, meta);
    },
    close: () => closeSync(fd),
  });
}

/**
 * Sets `meta` on `path` by path, in the same order as a writer's finish;
 * with `symlink`, on the link itself, which has no permissions of its own.
 */
export function setMeta(path: string, meta: FileMeta, symlink = false): void {
  if (meta.owner) (symlink ? lchownSync : chownSync)(path, meta.owner.uid, meta.owner.gid);
  meta.beforePerm?.();
  if (!symlink) chmodSync(path, meta.perm);
  if (!setTimesNs(path, meta.mtimeNs, symlink)) {
    const t = Number(meta.mtimeNs) / 1e9;
    (symlink ? lutimesSync : utimesSync)(path, t, t);
  }
}
