/**
 * The sending side of fsutil's transfer: serving a local directory to the
 * daemon (FileSync.DiffCopy). We stream STATs in walk order; the daemon asks
 * for the regular files it lacks by index; DATA carries contents; FIN ends
 * it. The receiving side is filesend.ts.
 */
import { readdirSync, readlinkSync } from "node:fs";
import type { Buffer } from "node:buffer";
import { compareBytes } from "../llb/encode.ts";
import { kindOf, toGoMode } from "./fsmode.ts";
import { PathFilter } from "./patterns.ts";
import type { MessageStream } from "./stream.ts";
import { dataPacket, type Packet, packetBuffer, PacketType, type Stat } from "./packet.ts";
import { readXattrs } from "./xattr.ts";
import { type FileStat, lstat } from "../fsstat.ts";
import { openFile } from "../fsfile.ts";

/** Transfer counters, for progress and for proving incremental sends. */
export interface TransferStats {
  files: number;
  bytes: number;
}

/** Options of {@link sendDir}. */
export interface SendOptions {
  includePatterns?: string[];
  excludePatterns?: string[];
  followPaths?: string[];
  /** Counters updated as data goes out. */
  stats?: TransferStats;
}

const CHUNK = 256 * 1024;
/** Most packet buffers kept for reuse. */
const POOL_MAX = 16;

/**
 * Lists the entries of `root` in fsutil's walk order (sorted, depth first),
 * with the inode key (`dev:ino`) of regular files that have other links.
 */
export function* walk(
  root: string,
  filter: PathFilter,
  rel = "",
): Generator<[string, Stat, string | undefined]> {
  const names = readdirSync(rel ? `${root}/${rel}` : root).sort(compareBytes);
  for (const name of names) {
    const path = rel ? `${rel}/${name}` : name;
    const st = lstat(`${root}/${path}`);
    const mode = toGoMode(st.mode);
    const kind = kindOf(mode);
    const isDir = kind === "dir";
    if (filter.includes(path, isDir)) {
      const linked = kind === "file" && st.nlink > 1 ? st.inode : undefined;
      yield [path, statOf(root, path, st, mode), linked];
    }
    if (isDir && filter.walks(path)) yield* walk(root, filter, path);
  }
}

/** fsutil's Stat of an entry, given its status and its mode as Go's os.FileMode. */
function statOf(root: string, path: string, st: FileStat, mode: number): Stat {
  const stat: Stat = { path, mode, uid: st.uid, gid: st.gid, modTime: st.mtimeNs };
  const kind = kindOf(mode);
  if (kind !== "dir") stat.size = st.size;
  if (kind === "symlink") stat.linkname = readlinkSync(`${root}/${path}`);
  const xattrs = readXattrs(`${root}/${path}`);
  if (Object.keys(xattrs).length) stat.xattrs = xattrs;
  if (kind === "chardev" || kind === "blockdev") {
    stat.devmajor = st.rdevMajor;
    stat.devminor = st.rdevMinor;
  }
  return stat;
}

/** Serves a directory to the daemon over one FileSync.DiffCopy stream. */
export async function sendDir(
  stream: MessageStream<Packet, Packet | Buffer>,
  root: string,
  opts: SendOptions = {},
): Promise<void> {
  const filter = new PathFilter(
    [...(opts.includePatterns ?? []), ...(opts.followPaths ?? [])],
    opts.excludePatterns,
  );
  const files = new Map<number, string>();
  const stats = opts.stats ?? { files: 0, bytes: 0 };
  // Packet buffers come back once grpc-js has copied them into its frame:
  // allocating 256 KiB per packet costs more than the copy.
  const pool: Buffer[] = [];
  const inodes = new Map<string, string>();

  // Requests queue up; a few senders drain the queue so reading a file and
  // writing the previous one overlap (fsutil's own sender runs four).
  const queue: [number, string][] = [];
  const waiting: (() => void)[] = [];
  let finished = false;
  const sender = async () => {
    while (true) {
      const next = queue.shift();
      if (next) {
        await sendFile(stream, next[0], `${root}/${next[1]}`, stats, pool);
        continue;
      }
      if (finished) return;
      await new Promise<void>((r) => waiting.push(r));
    }
  };
  const wake = (all = false) => {
    for (const w of waiting.splice(0, all ? waiting.length : 1)) w();
  };
  // A sender fails when the stream does (the daemon gave up: its disk is
  // full, say); that failure is sendDir's, never an unhandled rejection.
  let senderFailure: unknown;
  const senders = Array.from({ length: 4 }, () =>
    sender().catch((err) => {
      senderFailure ??= err;
      finished = true;
      wake(true);
    }));
  const serve = (async () => {
    try {
      for await (const p of stream) {
        const type = p.type ?? 0;
        if (type === PacketType.REQ) {
          const id = p.ID ?? 0;
          const path = files.get(id);
          if (path === undefined) throw new Error(`invalid file id ${id}`);
          files.delete(id);
          queue.push([id, path]);
          wake();
        } else if (type === PacketType.FIN) {
          finished = true;
          wake(true);
          await Promise.all(senders);
          if (senderFailure) throw senderFailure;
          await stream.send({ type: PacketType.FIN });
          return;
        } else if (type === PacketType.ERR) {
          throw new Error(`error from receiver: ${new TextDecoder().decode(p.data)}`);
        }
      }
    } finally {
      finished = true;
      wake(true);
      await Promise.all(senders);
    }
  })();

  let id = 0;
  try {
    for (const [path, stat, key] of walk(root, filter)) {
      if (kindOf(stat.mode) === "file") {
        if (key !== undefined) {
          const first = inodes.get(key);
          if (first !== undefined) {
            stat.linkname = first;
            stat.size = 0;
          } else inodes.set(key, path);
        }
        files.set(id, path);
      }
      id++;
      await stream.send({ type: PacketType.STAT, stat });
    }
    await stream.send({ type: PacketType.STAT });
  } catch (err) {
    // The stream failed while listing: serve fails the same way; say it once.
    await serve.catch(() => {});
    throw err;
  }
  await serve;
}

async function sendFile(
  stream: MessageStream<Packet, Packet | Buffer>,
  id: number,
  path: string,
  stats: TransferStats,
  pool: Buffer[],
): Promise<void> {
  const file = openFile(path);
  try {
    while (true) {
      let n = 0;
      const buf = pool.pop() ?? packetBuffer(CHUNK);
      const packet = dataPacket(id, buf, (into) => (n = file.read(into)));
      if (n === 0) {
        pool.push(buf);
        break;
      }
      await stream.send(packet, () => pool.length < POOL_MAX && pool.push(buf));
      stats.bytes += n;
    }
  } finally {
    file.close();
  }
  stats.files++;
  await stream.send({ type: PacketType.DATA, ID: id });
}
