/**
 * A package's files as the writer and the analysis see them: every entry
 * under a root, in the sorted order packages list them, with hardlinks
 * recognized so their data is stored once.
 */
import { lstatSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import { join } from "node:path";
import type { TarType } from "./tar.ts";

/** Kinds of entries a package holds. */
export type TreeKind = TarType;

/** One entry under the root. */
export interface TreeEntry {
  /** Path relative to the root, `/`-separated, no leading `./`. */
  path: string;
  kind: TreeKind;
  stat: Stats;
  /** Symlink target, or for `link` the earlier path with the same inode. */
  linkname?: string;
}

function kindOf(st: Stats): TreeKind | undefined {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "directory";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "character-device";
  if (st.isBlockDevice()) return "block-device";
  if (st.isFIFO()) return "fifo";
  return undefined; // sockets are not packaged
}

/** Lists everything under `root` depth first, names sorted bytewise within each directory. */
export function walkTree(root: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const inodes = new Map<string, string>();
  const visit = (rel: string) => {
    const names = readdirSync(rel ? join(root, rel) : root).sort((
      a,
      b,
    ) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(root, path);
      const stat = lstatSync(full);
      const kind = kindOf(stat);
      if (!kind) continue;
      if (kind === "file" && stat.nlink > 1) {
        const key = `${stat.dev}:${stat.ino}`;
        const first = inodes.get(key);
        if (first) {
          out.push({ path, kind: "link", stat, linkname: first });
          continue;
        }
        inodes.set(key, path);
      }
      const entry: TreeEntry = { path, kind, stat };
      if (kind === "symlink") entry.linkname = readlinkSync(full);
      out.push(entry);
      if (kind === "directory") visit(path);
    }
  };
  visit("");
  return out;
}
