/**
 * The few libc calls Deno and Node have no API for, through Deno's FFI:
 * extended attributes (fsutil carries them with every stat), file times to
 * the nanosecond both ways (Deno's utime takes seconds as a float and keeps
 * only milliseconds; its node:fs `lstat` with `bigint` reports `mtimeNs`
 * rounded to the millisecond, and builds a BigIntStats three times slower
 * than statx), and execve (to start again with V8 flags, cli/v8flags.ts).
 * Where libc cannot be loaded (not Linux, or no FFI permission), callers
 * fall back or go without.
 */
import { lstatSync } from "node:fs";

const symbols = {
  llistxattr: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  lgetxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
  lsetxattr: { parameters: ["buffer", "buffer", "buffer", "usize", "i32"], result: "i32" },
  utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32", optional: true },
} as const;

/** The loaded libc symbols. */
export type Libc = Deno.DynamicLibrary<typeof symbols>["symbols"];

let loaded: Deno.DynamicLibrary<typeof symbols> | null | undefined;

/** libc's symbols, or null where it cannot be loaded. Loaded once, on first use. */
export function libc(): Libc | null {
  if (loaded === undefined) {
    try {
      loaded = Deno.build.os === "linux" ? Deno.dlopen("libc.so.6", symbols) : null;
    } catch {
      loaded = null;
    }
  }
  return loaded?.symbols ?? null;
}

const enc = new TextEncoder();

/** A NUL-terminated C string. */
export const cstr = (s: string): Uint8Array => enc.encode(s + "\0");

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const BILLION = 1_000_000_000n;

/**
 * Sets the access and modification times of `path` to `ns` nanoseconds
 * since the epoch; with `noFollow` a symlink's own times. Returns false
 * where libc is not available, so the caller can fall back.
 */
export function setTimesNs(path: string, ns: bigint, noFollow: boolean): boolean {
  const l = libc();
  if (!l) return false;
  let sec = ns / BILLION, nsec = ns % BILLION;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += BILLION;
  }
  const times = new BigInt64Array([sec, nsec, sec, nsec]);
  if (l.utimensat(AT_FDCWD, cstr(path), times, noFollow ? AT_SYMLINK_NOFOLLOW : 0) !== 0) {
    throw new Error(`setting the times of ${path} failed`);
  }
  return true;
}

/** What {@link lstat} tells of a file (not following symlinks). */
export interface FileStat {
  /** The unix st_mode: type and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  /** Identifies the inode: device and inode number. */
  inode: string;
  rdevMajor: number;
  rdevMinor: number;
  /** Modification time in nanoseconds since the epoch. */
  mtimeNs: bigint;
}

const STATX_BASIC_STATS = 0x7ff;
/** struct statx (linux/stat.h) is 256 bytes with the same layout on every architecture. */
const STATX_SIZE = 256;

/** The status of `path` itself (a symlink's own), modification time to the nanosecond. */
export function lstat(path: string): FileStat {
  const call = libc()?.statx;
  const buf = new Uint8Array(STATX_SIZE);
  // On any failure node:fs reports it the usual way (ENOENT and so on).
  if (!call || call(AT_FDCWD, cstr(path), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) !== 0) {
    return nodeLstat(path);
  }
  const v = new DataView(buf.buffer);
  const u32 = (at: number) => v.getUint32(at, true);
  return {
    mode: v.getUint16(28, true),
    uid: u32(20),
    gid: u32(24),
    nlink: u32(16),
    size: Number(v.getBigUint64(40, true)),
    inode: `${u32(136)}:${u32(140)}:${v.getBigUint64(32, true)}`,
    rdevMajor: u32(128),
    rdevMinor: u32(132),
    mtimeNs: v.getBigInt64(112, true) * BILLION + BigInt(u32(120)),
  };
}

function nodeLstat(path: string): FileStat {
  const st = lstatSync(path, { bigint: true });
  const rdev = Number(st.rdev);
  return {
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    nlink: Number(st.nlink),
    size: Number(st.size),
    inode: `${st.dev}:${st.ino}`,
    rdevMajor: (rdev >> 8) & 0xfff,
    rdevMinor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
    mtimeNs: st.mtimeNs,
  };
}

/** A NULL-terminated array of pointers to C strings (argv, envp); keeps the strings alive. */
function cstrArray(items: string[]): { ptrs: BigUint64Array; keep: Uint8Array[] } {
  const keep = items.map(cstr);
  const ptrs = new BigUint64Array(keep.length + 1);
  keep.forEach((b, i) => (ptrs[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)))));
  return { ptrs, keep };
}

/**
 * Replaces this process with `path` run with `argv` and `env` (same pid, same
 * open descriptors). Returns only when that fails (or libc is not there).
 */
export function execve(path: string, argv: string[], env: Record<string, string>): void {
  const l = libc();
  if (!l) return;
  const args = cstrArray(argv);
  const envp = cstrArray(Object.entries(env).map(([k, v]) => `${k}=${v}`));
  l.execve(cstr(path), args.ptrs, envp.ptrs);
}
