/**
 * The out directory (`--out-dir`) as the user sees its problems: a full
 * disk, a read-only file system, a path through a file, an architecture
 * directory that is a file. Each is one message naming the path, not an
 * internal error; and a directory made for a build that failed is removed.
 */
import { mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../errors.ts";

const REASONS: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "the file system is read-only",
  ENOTDIR: "a part of the path is a file, not a directory",
  EEXIST: "it exists and is not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "it is a directory",
  ENAMETOOLONG: "the name is too long",
  EMLINK: "too many links",
  EIO: "an I/O error",
};

/** Whether `err` is a file-system error {@link outDirError} can explain. */
export function isFsError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return typeof code === "string" && code in REASONS;
}

/** A file-system error while writing under `outDir` as a UserError naming the path. */
export function outDirError(err: unknown, outDir: string, doing: string, file?: string): Error {
  if (!isFsError(err)) return err as Error;
  const e = err as NodeJS.ErrnoException;
  const path = e.path ?? file ?? outDir;
  return new UserError(
    `--out-dir ${outDir}: ${doing} ${path}: ${REASONS[e.code!]} (${e.code})`,
    { cause: err },
  );
}

/**
 * The disk filling up while the output is received: the session writes it
 * to a temporary directory (`staging`) before packaging, and the daemon
 * reports the error (`writing <staging>/...: No space left on device`).
 * Only a message naming `staging` is about that; a step that fills the
 * daemon's own disk is the step's failure.
 */
export function exportDiskFull(err: unknown, staging: string): Error | undefined {
  const msg = (err as Error)?.message ?? "";
  if (!/no space left on device|ENOSPC/i.test(msg) || !msg.includes(staging)) return undefined;
  return new UserError(
    `no space left on the device while receiving the build's output into ${staging} ` +
      "(ENOSPC): free some space there, or point TMPDIR at a larger file system",
    { cause: err },
  );
}

/**
 * Makes `<outDir>/<arch>`; returns it and, when it was made now, how to
 * remove it again (only if still empty) after a failed build.
 */
export function makeArchDir(outDir: string, arch: string): { dir: string; undo: () => void } {
  const dir = join(resolve(outDir), arch);
  let existed = false;
  try {
    existed = statSync(dir).isDirectory();
  } catch {
    // made below
  }
  let first: string | undefined;
  try {
    first = mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw outDirError(err, outDir, "creating");
  }
  if (!statSync(dir).isDirectory()) {
    throw new UserError(`--out-dir ${outDir}: ${dir} exists and is not a directory`);
  }
  const undo = () => {
    if (existed) return;
    // Remove what this build made, innermost first, while empty.
    for (let d = dir; first && d.length >= first.length; d = resolve(d, "..")) {
      try {
        if (readdirSync(d).length) return;
        rmdirSync(d);
      } catch {
        return;
      }
    }
  };
  return { dir, undo };
}
