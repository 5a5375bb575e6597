/**
 * A directory on disk as the dependency analysis reads it: the tree's
 * entries, and file contents with symlinks followed inside the root only.
 */
import {
  closeSync,
  existsSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  readSync,
} from "node:fs";
import { join, posix } from "node:path";
import type { AnalysisEntry, AnalysisTree } from "./analyze.ts";
import { type TreeEntry, walkTree } from "./tree.ts";

/** Resolves `path` inside the tree, following up to 16 symlinks; undefined if it leaves the tree. */
function resolveInside(root: string, path: string): string | undefined {
  let cur = path;
  for (let hops = 0; hops < 16; hops++) {
    const full = join(root, cur);
    let st;
    try {
      st = lstatSync(full);
    } catch {
      return undefined;
    }
    if (!st.isSymbolicLink()) return st.isFile() ? full : undefined;
    const target = readlinkSync(full);
    cur = posix.normalize(
      target.startsWith("/") ? target.slice(1) : posix.join(posix.dirname(cur), target),
    );
    if (cur.startsWith("..")) return undefined;
  }
  return undefined;
}

/** The analysis view of `root` (whose entries `walkTree` already listed, when given). */
export function diskTree(
  root: string,
  entries?: TreeEntry[],
): AnalysisTree & { head(path: string, n: number): Uint8Array } {
  const list = entries ?? (existsSync(root) ? walkTree(root) : []);
  const analysisEntries: AnalysisEntry[] = list.map((e) => ({
    path: e.path,
    kind: e.kind === "file" || e.kind === "directory" || e.kind === "symlink" || e.kind === "link"
      ? e.kind
      : "other",
    mode: e.stat.mode & 0o7777,
    linkname: e.linkname,
  }));
  return {
    entries: analysisEntries,
    read(path) {
      const full = resolveInside(root, path);
      return full ? readFileSync(full) : undefined;
    },
    head(path, n) {
      const full = resolveInside(root, path);
      if (!full) return new Uint8Array();
      const fd = openSync(full, "r");
      try {
        const buf = new Uint8Array(n);
        return buf.subarray(0, readSync(fd, buf, 0, n, 0));
      } finally {
        closeSync(fd);
      }
    },
  };
}
