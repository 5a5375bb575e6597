/**
 * Tar reading and writing on top of tar-stream, in the shapes APKs need:
 * whole small archives in memory (signature and control segments, indexes)
 * and header-by-header streaming for package data.
 */
import { UserError } from "../errors.ts";
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { type RawPax, rawPaxTap } from "./paxraw.ts";

/** The entry types APKs carry. */
export type TarType =
  | "file"
  | "directory"
  | "symlink"
  | "link"
  | "character-device"
  | "block-device"
  | "fifo";

/** A tar header as read or to be written. */
export interface TarHeader {
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  /** PAX records (checksums, xattrs), as text. */
  pax?: Record<string, string>;
  /** Extended attributes from `SCHILY.xattr.*` records, their values byte for byte (read only). */
  xattrs?: Record<string, Uint8Array>;
}

/** An entry with its contents. */
export interface TarEntry {
  header: TarHeader;
  data: Uint8Array;
}

const TYPES = new Set<string>([
  "file",
  "directory",
  "symlink",
  "link",
  "character-device",
  "block-device",
  "fifo",
]);

// deno-lint-ignore no-explicit-any
function toHeader(h: any, raw?: RawPax): TarHeader {
  const type = h.type === "contiguous-file" ? "file" : h.type;
  if (!TYPES.has(type)) throw new UserError(`${h.name}: unsupported tar entry type ${h.type}`);
  const header: TarHeader = {
    name: h.name,
    type,
    mode: h.mode ?? 0,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    size: h.size ?? 0,
    mtime: h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0,
  };
  if (h.linkname) header.linkname = h.linkname;
  if (h.uname) header.uname = h.uname;
  if (h.gname) header.gname = h.gname;
  if (h.devmajor) header.devmajor = h.devmajor;
  if (h.devminor) header.devminor = h.devminor;
  if (h.pax && Object.keys(h.pax).length) {
    const pax: Record<string, string> = {};
    for (const [k, v] of Object.entries(h.pax)) {
      if (k !== "path" && k !== "linkpath") pax[k] = String(v);
    }
    if (Object.keys(pax).length) header.pax = pax;
    const xattrs: Record<string, Uint8Array> = {};
    for (const k of Object.keys(h.pax)) {
      if (!k.startsWith(XATTR)) continue;
      // the bytes as written; tar-stream's text is only a fallback
      xattrs[k.slice(XATTR.length)] = raw?.get(k) ?? new TextEncoder().encode(String(h.pax[k]));
    }
    if (Object.keys(xattrs).length) header.xattrs = xattrs;
  }
  return header;
}

const XATTR = "SCHILY.xattr.";

/**
 * Streams the entries of a tar (or of a tar segment without the end blocks)
 * to `onEntry`, which must consume `body` before resolving.
 */
export async function walkTar(
  source: Uint8Array | AsyncIterable<Uint8Array>,
  onEntry: (header: TarHeader, body: AsyncIterable<Uint8Array>) => Promise<void>,
): Promise<void> {
  const extract = tar.extract();
  const tap = rawPaxTap();
  const input = source instanceof Uint8Array
    ? Readable.from([Buffer.from(source)])
    : Readable.from(source);
  input.on("error", (err) => extract.destroy(err));
  input.pipe(tap.stream).pipe(extract);
  for await (const entry of extract) {
    await onEntry(toHeader(entry.header, tap.shift()), entry as AsyncIterable<Uint8Array>);
    entry.resume();
  }
}

/** Reads every entry of a small tar into memory. */
export async function readTar(bytes: Uint8Array): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  await walkTar(bytes, async (header, body) => {
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    out.push({ header, data: Buffer.concat(chunks) });
  });
  return out;
}

const END_OF_ARCHIVE = 1024;

/**
 * Writes entries as a tar. With `segment`, the two zero blocks that end an
 * archive are left off: APK signature and control parts are such segments,
 * so that the concatenation of all parts reads as one archive.
 */
export async function writeTar(
  entries: TarEntry[],
  opts: { segment?: boolean } = {},
): Promise<Uint8Array> {
  const pack = tar.pack();
  const chunks: Uint8Array[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Uint8Array);
  })();
  for (const { header, data } of entries) {
    await new Promise<void>((resolve, reject) => {
      const h = {
        ...header,
        size: header.type === "file" ? data.length : 0,
        mtime: new Date(header.mtime * 1000),
      };
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (header.type === "file") {
        pack.entry(h, Buffer.from(data.buffer, data.byteOffset, data.byteLength), cb);
      } else pack.entry(h, cb);
    });
  }
  pack.finalize();
  await done;
  const all = Buffer.concat(chunks);
  return opts.segment ? all.subarray(0, all.length - END_OF_ARCHIVE) : all;
}
