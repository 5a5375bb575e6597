/**
 * The receiving side of fsutil's transfer (FileSend.DiffCopy with the local
 * exporter): the daemon streams STATs, we ask for each regular file by its
 * index, DATA carries contents, and we answer FIN when everything is written.
 * Files are written synchronously: doing it on Deno's thread pool (node:fs
 * promises, a chain per file) cost more CPU than it saved in waiting.
 */
import { linkSync, mkdirSync, symlinkSync } from "node:fs";
import { posix } from "node:path";
import { kindOf, permOf } from "./fsmode.ts";
import type { MessageStream } from "./stream.ts";
import { type Packet, PacketType, type Stat } from "./packet.ts";
import type { TransferStats } from "./filesync.ts";
import { writeXattrs } from "./xattr.ts";
import { createFile, type FileMeta, type FileWriter, setMeta } from "../fsfile.ts";

/** Options of {@link receiveDir}. */
export interface ReceiveOptions {
  /** Keep the sender's owners (default: when running as root). */
  keepOwnership?: boolean;
  stats?: TransferStats;
  /**
   * Every entry's stat as the daemon sent it, by its path in the export:
   * owners, modes and xattrs as BuildKit built them, whatever this process
   * could apply to its own disk.
   */
  record?: Map<string, Stat>;
}

/** Joins a sent path under `root`, refusing anything that would leave it. */
export function safeJoin(root: string, path: string): string {
  const clean = posix.normalize(path);
  if (clean.startsWith("/") || clean === ".." || clean.startsWith("../") || clean === ".") {
    throw new Error(`refusing path ${JSON.stringify(path)} outside the destination`);
  }
  return `${root}/${clean}`;
}

/** Receives an exported tree into `dest` (which exists) over FileSend.DiffCopy. */
export async function receiveDir(
  stream: MessageStream<Packet, Packet>,
  dest: string,
  opts: ReceiveOptions = {},
): Promise<void> {
  const keepOwners = opts.keepOwnership ?? Deno.uid() === 0;
  const stats = opts.stats ?? { files: 0, bytes: 0 };
  // Files asked for, opened when their first data arrives: a tree may hold
  // more files than the process may have open.
  const wanted = new Map<number, { file?: FileWriter; path: string; stat: Stat }>();
  const dirs: [string, Stat][] = [];
  // Hard links wait until every file they may point to is written.
  const links: [string, string][] = [];
  let index = 0;
  let statsDone = false;
  let finSent = false;

  // What an entry gets once it exists: regular files through their writer,
  // directories and symlinks by path.
  // Without root, some xattrs (security.*) cannot be set; `record` still has them.
  const xattrsOf = (path: string, stat: Stat) => () => {
    try {
      writeXattrs(path, stat.xattrs!);
    } catch (err) {
      if (keepOwners) throw err;
    }
  };
  const metaOf = (path: string, stat: Stat): FileMeta => ({
    owner: keepOwners ? { uid: stat.uid ?? 0, gid: stat.gid ?? 0 } : undefined,
    beforePerm: stat.xattrs ? xattrsOf(path, stat) : undefined,
    perm: permOf(stat.mode),
    mtimeNs: stat.modTime ?? 0n,
  });

  try {
    for await (const p of stream) {
      const type = p.type ?? 0;
      if (type === PacketType.STAT) {
        if (!p.stat) {
          statsDone = true;
        } else {
          const stat = p.stat;
          opts.record?.set(posix.normalize(stat.path), stat);
          const id = index++;
          const path = safeJoin(dest, stat.path);
          const kind = kindOf(stat.mode);
          if (kind === "dir") {
            mkdirSync(path, { recursive: true });
            dirs.push([path, stat]);
          } else if (kind === "symlink") {
            symlinkSync(stat.linkname ?? "", path);
            setMeta(path, metaOf(path, stat), true);
          } else if (kind === "file" && stat.linkname) {
            links.push([safeJoin(dest, stat.linkname), path]);
          } else if (kind === "file") {
            wanted.set(id, { path, stat });
            stream.post({ type: PacketType.REQ, ID: id });
          } else {
            throw new Error(`cannot create ${kind} ${stat.path} in an export`);
          }
        }
      } else if (type === PacketType.DATA) {
        const f = wanted.get(p.ID ?? 0);
        if (!f) throw new Error(`data for unknown file id ${p.ID}`);
        const file = f.file ??= createFile(f.path);
        if (p.data?.length) {
          file.write(p.data);
          stats.bytes += p.data.length;
        } else {
          wanted.delete(p.ID ?? 0);
          file.finish(metaOf(f.path, f.stat));
          stats.files++;
        }
      } else if (type === PacketType.ERR) {
        throw new Error(`error from sender: ${new TextDecoder().decode(p.data)}`);
      }
      if (statsDone && wanted.size === 0 && !finSent) {
        for (const [target, path] of links) linkSync(target, path);
        // Directories last, deepest first, so writing their contents does not touch their times.
        for (const [path, stat] of dirs.reverse()) setMeta(path, metaOf(path, stat));
        finSent = true;
        await stream.send({ type: PacketType.FIN });
      }
    }
  } finally {
    for (const f of wanted.values()) f.file?.close();
  }
  if (!finSent) throw new Error("the export ended before all files arrived");
}
