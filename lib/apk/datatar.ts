/**
 * A package's data member as melange writes it: the tree's entries sorted
 * as a depth-first walk, owners and modes as built, every time
 * SOURCE_DATE_EPOCH, an `APK-TOOLS.checksum.SHA1` PAX record per regular
 * file, hardlink and symlink, the xattrs of files and directories as
 * `SCHILY.xattr.*` records with their bytes as they are (tar-stream writes
 * PAX values as UTF-8 text, so values that are not, such as most
 * `security.capability` values, are put in place on the way to gzip).
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import zlib from "node:zlib";
import tar from "tar-stream";
import { readXattrs } from "../buildkit/xattr.ts";
import type { TreeEntry } from "./tree.ts";

/** One entry of the data member. */
interface DataItem {
  path: string;
  entry?: TreeEntry;
  /** Contents of a generated file (the SBOM). */
  generated?: Uint8Array;
}

/** Orders paths as a depth-first walk with sorted names does. */
function comparePaths(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** What {@link writeDataMember} writes besides the tree. */
export interface DataOptions {
  sourceDateEpoch: number;
  /** gzip level (default 6). */
  level?: number;
  /** The SBOM's path and contents. */
  sbom: { path: string; data: Uint8Array };
  /** SHA-1 (hex) of the tree's regular files by path, when already computed. */
  sha1?: Map<string, string>;
}

/** The data member: a gzip stream of the tree's tar plus the SBOM and its directories. */
export async function writeDataMember(
  dir: string,
  entries: TreeEntry[],
  opts: DataOptions,
): Promise<Uint8Array> {
  const items: DataItem[] = entries.map((e) => ({ path: e.path, entry: e }));
  const have = new Set(entries.map((e) => e.path));
  const parts = opts.sbom.path.split("/");
  for (let i = 1; i < parts.length; i++) {
    const d = parts.slice(0, i).join("/");
    if (!have.has(d)) items.push({ path: d });
  }
  items.push({ path: opts.sbom.path, generated: opts.sbom.data });
  items.sort((a, b) => comparePaths(a.path, b.path));

  const sha1 = (data: Uint8Array | string) => createHash("sha1").update(data).digest("hex");
  const swaps = new PaxSwaps();
  const pack = tar.pack();
  const gz = zlib.createGzip({ level: opts.level ?? 6 });
  const chunks: Buffer[] = [];
  gz.on("data", (c: Buffer) => chunks.push(c));
  const finished = new Promise<void>((resolve, reject) => {
    gz.on("end", resolve);
    gz.on("error", reject);
    pack.on("error", reject);
  });
  pack.pipe(swaps.transform()).pipe(gz);
  for (const item of items) {
    const e = item.entry;
    let body: Buffer | undefined;
    // deno-lint-ignore no-explicit-any
    const header: any = {
      name: item.path,
      mode: e ? e.stat.mode & 0o7777 : item.generated ? 0o644 : 0o755,
      uid: e?.stat.uid ?? 0,
      gid: e?.stat.gid ?? 0,
      // every entry's time is SOURCE_DATE_EPOCH, as melange writes it: nothing of when it was built
      mtime: new Date(opts.sourceDateEpoch * 1000),
      type: e ? e.kind : item.generated ? "file" : "directory",
    };
    const pax: Record<string, string | Uint8Array> = {};
    if (item.generated) {
      body = Buffer.from(item.generated);
      pax["APK-TOOLS.checksum.SHA1"] = sha1(body);
    } else if (e?.kind === "file") {
      body = await readFile(join(dir, e.path));
      pax["APK-TOOLS.checksum.SHA1"] = opts.sha1?.get(e.path) ?? sha1(body);
    } else if (e?.kind === "symlink") {
      // melange records the SHA-1 of the link target string; apko refuses a symlink without it
      header.linkname = e.linkname;
      pax["APK-TOOLS.checksum.SHA1"] = sha1(e.linkname ?? "");
    } else if (e?.kind === "link") {
      // a hardlink carries the checksum of the contents it shares, as melange writes it
      header.linkname = e.linkname;
      const first = opts.sha1?.get(e.linkname ?? "");
      if (first) pax["APK-TOOLS.checksum.SHA1"] = first;
    } else if (e && (e.kind === "character-device" || e.kind === "block-device")) {
      header.devmajor = Math.floor(e.stat.rdev / 256);
      header.devminor = e.stat.rdev % 256;
    }
    // melange keeps xattrs of regular files and directories only
    if (e?.kind === "file" || e?.kind === "directory") {
      const xattrs = e.xattrs ?? readXattrs(join(dir, e.path));
      for (const k of Object.keys(xattrs).sort()) pax[`SCHILY.xattr.${k}`] = xattrs[k];
    }
    if (Object.keys(pax).length) header.pax = swaps.textRecords(header, pax);
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) pack.entry(header, body, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await finished;
  swaps.checkDone();
  const out = Buffer.concat(chunks);
  out[9] = 3; // OS byte fixed (Unix) so bytes match across platforms
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const enc = new TextEncoder();

function isText(v: Uint8Array): boolean {
  try {
    utf8.decode(v);
    return true;
  } catch {
    return false;
  }
}

/** The body of a PAX extended header: `LEN key=value\n` records, LEN counting the whole record. */
export function paxBody(records: [string, string | Uint8Array][]): Buffer {
  const parts: Uint8Array[] = [];
  for (const [key, value] of records) {
    const v = typeof value === "string" ? enc.encode(value) : value;
    const rest = enc.encode(` ${key}=`).length + v.length + 1;
    let len = rest + String(rest).length;
    if (String(len).length > String(rest).length) len = rest + String(len).length;
    parts.push(enc.encode(`${len} ${key}=`), v, enc.encode("\n"));
  }
  return Buffer.concat(parts);
}

/**
 * Binary PAX values through tar-stream: each is given to tar-stream as ASCII
 * of the same length, so every length in the archive is already right, and
 * the extended header's body (which tar-stream pushes as one chunk: path,
 * linkpath, then the records) is swapped for the real bytes before gzip.
 * A body that never comes by fails the package instead of losing a value.
 */
class PaxSwaps {
  #pending = new Map<string, Buffer>();
  #lengths = new Set<number>();

  /** The records as tar-stream takes them, binary values replaced by placeholders. */
  textRecords(
    header: { name: string; linkname?: string },
    pax: Record<string, string | Uint8Array>,
  ): Record<string, string> {
    const text: Record<string, string> = {};
    let binary = false;
    for (const [k, v] of Object.entries(pax)) {
      if (typeof v === "string") text[k] = v;
      else if (isText(v)) text[k] = utf8.decode(v);
      else {
        text[k] = "x".repeat(v.length);
        binary = true;
      }
    }
    if (binary) {
      const lead: [string, string][] = [["path", header.name]];
      if (header.linkname) lead.push(["linkpath", header.linkname]);
      const placeholder = paxBody([...lead, ...Object.entries(text)]);
      const real = paxBody([...lead, ...Object.entries(pax)]);
      this.#pending.set(placeholder.toString("latin1"), real);
      this.#lengths.add(placeholder.length);
    }
    return text;
  }

  /** The stream between tar-stream and gzip that puts the real bytes in. */
  transform(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        if (this.#lengths.has(chunk.length)) {
          const key = chunk.toString("latin1");
          const real = this.#pending.get(key);
          if (real) {
            this.#pending.delete(key);
            return cb(null, real);
          }
        }
        cb(null, chunk);
      },
    });
  }

  /** Throws when a binary value was not put in place. */
  checkDone(): void {
    if (this.#pending.size) {
      throw new Error(
        `${this.#pending.size} PAX header(s) with binary xattr values were not written as expected`,
      );
    }
  }
}
