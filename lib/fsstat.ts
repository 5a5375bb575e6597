/**
 * File status as fsutil sends it, with the modification time to the
 * nanosecond. Deno's node:fs `lstat` with `bigint` rounds `mtimeNs` to the
 * millisecond (and builds a BigIntStats three times slower than this), so on
 * Linux the status comes from statx through FFI (lib/libc.ts); elsewhere, or
 * when statx fails, from node:fs.
 */
import { lstatSync } from "node:fs";
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, cstr, libc } from "./libc.ts";

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

const BILLION = 1_000_000_000n;
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
