/**
 * The few libc calls Deno and Node have no API for, through Deno's FFI:
 * extended attributes (fsutil carries them with every stat), file times to
 * the nanosecond both ways (Deno's utime keeps only milliseconds, and so
 * does its node:fs bigint lstat: lib/fsstat.ts reads them with statx),
 * reading and writing transferred files by descriptor (lib/fsfile.ts: Deno has
 * these, but its node:fs wrappers cost more than the calls), and
 * execve (to start again with V8 flags, cli/v8flags.ts). Where libc cannot
 * be loaded (not Linux, or no FFI permission), callers fall back or go
 * without. Nothing here imports node:fs: cli/v8flags.ts loads this module
 * before the restart, where node:fs would add 50 ms to every start.
 */

const symbols = {
  llistxattr: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  lgetxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
  lsetxattr: { parameters: ["buffer", "buffer", "buffer", "usize", "i32"], result: "i32" },
  utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32", optional: true },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  fchown: { parameters: ["i32", "u32", "u32"], result: "i32" },
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  futimens: { parameters: ["i32", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
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

/** The `dirfd` meaning the working directory, for the *at calls. */
export const AT_FDCWD = -100;
/** Acts on a symlink itself, for the *at calls. */
export const AT_SYMLINK_NOFOLLOW = 0x100;
const BILLION = 1_000_000_000n;

/** The last libc call's errno. */
export function lastErrno(l: Libc): number {
  const at = l.__errno_location();
  return at ? new Deno.UnsafePointerView(at).getInt32() : 0;
}

/** The last libc call's error, as strerror words it (e.g. "No space left on device"). */
export function lastError(l: Libc): string {
  const errno = lastErrno(l);
  const text = l.strerror(errno);
  return text ? new Deno.UnsafePointerView(text).getCString() : `errno ${errno}`;
}

/** `ns` nanoseconds since the epoch as struct timespec[2] (access and modification). */
export function timespecs(ns: bigint): BigInt64Array {
  let sec = ns / BILLION, nsec = ns % BILLION;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += BILLION;
  }
  return new BigInt64Array([sec, nsec, sec, nsec]);
}

/**
 * Sets the access and modification times of `path` to `ns` nanoseconds
 * since the epoch; with `noFollow` a symlink's own times. Returns false
 * where libc is not available, so the caller can fall back.
 */
export function setTimesNs(path: string, ns: bigint, noFollow: boolean): boolean {
  const l = libc();
  if (!l) return false;
  const flags = noFollow ? AT_SYMLINK_NOFOLLOW : 0;
  if (l.utimensat(AT_FDCWD, cstr(path), timespecs(ns), flags) !== 0) {
    throw new Error(`setting the times of ${path}: ${lastError(l)}`);
  }
  return true;
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
