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
  /** Extended attributes as the builder made them (read from the disk when absent). */
  xattrs?: Record<string, Uint8Array>;
}

/** An entry's owner, mode and xattrs as the builder made them (BuildKit's export stats). */
export interface EntryMetadata {
  uid: number;
  gid: number;
  /** Permission bits with setuid, setgid and sticky. */
  mode: number;
  xattrs?: Record<string, Uint8Array>;
}

/** Owners that become root in packages (melange's build user and group). */
export interface OwnerRemap {
  uids?: Record<number, number>;
  gids?: Record<number, number>;
}

/**
 * `entries` with owners, modes and xattrs taken from `metadata` (by path)
 * rather than from the disk they were written to, which only root could
 * have made match; owners then remapped as `remap` says.
 */
export function withMetadata(
  entries: TreeEntry[],
  metadata: Map<string, EntryMetadata> | undefined,
  remap: OwnerRemap = {},
): TreeEntry[] {
  return entries.map((e) => {
    const m = metadata?.get(e.path);
    const uid = m?.uid ?? e.stat.uid;
    const gid = m?.gid ?? e.stat.gid;
    const mode = m ? (e.stat.mode & ~0o7777) | (m.mode & 0o7777) : e.stat.mode;
    const owner = { uid: remap.uids?.[uid] ?? uid, gid: remap.gids?.[gid] ?? gid };
    if (!m && owner.uid === uid && owner.gid === gid) return e;
    // The disk's stat underneath (sizes, kinds, methods), the builder's owner and mode on top.
    const stat = Object.create(e.stat) as Stats;
    Object.defineProperties(stat, {
      uid: { value: owner.uid, enumerable: true },
      gid: { value: owner.gid, enumerable: true },
      mode: { value: mode, enumerable: true },
    });
    return m ? { ...e, stat, xattrs: m.xattrs ?? {} } : { ...e, stat };
  });
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
