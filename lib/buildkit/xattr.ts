/**
 * Extended attributes, which fsutil carries with every stat. Deno and Node
 * have no xattr API, so these call libc's l*xattr functions (lib/libc.ts);
 * where libc cannot be loaded (not Linux), files go without xattrs.
 */

import { cstr, lastErrno, lastError, libc } from "../libc.ts";

/** The extended attributes of `path` (not following symlinks); empty when none. */
export function readXattrs(path: string): Record<string, Uint8Array> {
  const l = libc();
  if (!l) return {};
  const p = cstr(path);
  const size = Number(l.llistxattr(p, null, 0n));
  if (size <= 0) return {};
  const names = new Uint8Array(size);
  const got = Number(l.llistxattr(p, names, BigInt(size)));
  if (got <= 0) return {};
  const out: Record<string, Uint8Array> = {};
  for (const name of new TextDecoder().decode(names.subarray(0, got)).split("\0")) {
    if (!name || name.startsWith("com.apple.")) continue;
    const n = cstr(name);
    const len = Number(l.lgetxattr(p, n, null, 0n));
    if (len < 0) continue;
    const value = new Uint8Array(len);
    if (Number(l.lgetxattr(p, n, value, BigInt(len))) === len) out[name] = value;
  }
  return out;
}

/** EOPNOTSUPP: the filesystem (or the kernel) has no such attribute namespace. */
const EOPNOTSUPP = 95;

/**
 * Sets extended attributes on `path` (not following symlinks). Attributes
 * the filesystem does not support are skipped, as apk-tools skips them:
 * packages built on other systems carry names such as
 * `com.docker.grpcfuse.ownership` that Linux has no namespace for.
 */
export function writeXattrs(path: string, xattrs: Record<string, Uint8Array>): void {
  const l = libc();
  const names = Object.keys(xattrs);
  if (!names.length) return;
  if (!l) throw new Error(`cannot set extended attributes on ${path} on this system`);
  const p = cstr(path);
  for (const name of names) {
    const v = xattrs[name];
    if (l.lsetxattr(p, cstr(name), v, BigInt(v.length), 0) !== 0) {
      if (lastErrno(l) === EOPNOTSUPP) continue;
      throw new Error(`setting extended attribute ${name} on ${path}: ${lastError(l)}`);
    }
  }
}
