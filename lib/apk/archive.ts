/**
 * Reading an .apk: split it into its signature, control and data members,
 * verify the signature over the control member and the control's datahash
 * over the data, and parse `.PKGINFO`.
 */
import { UserError } from "../errors.ts";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { type GzipMember, gzipMembers } from "./gzip.ts";
import { signaturesOf } from "./index.ts";
import { parsePkgInfo, type PkgInfo } from "./pkginfo.ts";
import {
  type FoundSignature,
  type Keyring,
  type TrustOptions,
  verifySignatures,
} from "./signature.ts";
import { readTar, type TarEntry, type TarHeader, walkTar } from "./tar.ts";

/** A package read from its bytes. */
export interface ApkFile {
  info: PkgInfo & { extra: Record<string, string[]> };
  /** Files of the control member (`.PKGINFO`, scriptlets). */
  control: TarEntry[];
  /** Signatures found (empty when unsigned). */
  signatures: FoundSignature[];
  /** The signature that verified, if any. */
  verifiedBy?: FoundSignature;
  /** `Q1` + base64 SHA-1 of the control member: the package's identity in indexes. */
  checksum: string;
  /** The data part: compressed bytes (one or more gzip members). */
  data: Uint8Array;
  /** Size of the whole file. */
  size: number;
}

/** The `Q1...` identity apk-tools gives a control member. */
export function controlChecksum(controlRaw: Uint8Array): string {
  return "Q1" + createHash("sha1").update(controlRaw).digest("base64");
}

/** Reads and verifies a package. Errors name `opts.source`. */
export async function readApk(
  bytes: Uint8Array,
  keyring: Keyring,
  opts: TrustOptions & { skipDatahash?: boolean },
): Promise<ApkFile> {
  const fail = (msg: string) => new UserError(`${opts.source}: ${msg}`);
  let parts;
  try {
    parts = await controlParts(bytes);
  } catch (err) {
    throw fail((err as Error).message);
  }
  const { signatures: sigs, control } = parts;
  const verifiedBy = verifySignatures(control.raw, sigs ?? [], keyring, opts);
  const entries = await readTar(control.data).catch((err) => {
    throw fail(`control part: ${(err as Error).message}`);
  });
  const pkginfo = entries.find((e) => e.header.name === ".PKGINFO");
  if (!pkginfo) throw fail("no .PKGINFO in the control part");
  const info = parsePkgInfo(new TextDecoder().decode(pkginfo.data));
  const data = bytes.subarray(control.offset + control.raw.length);
  if (!data.length) throw fail("truncated: no data part");
  if (info.datahash && !opts.skipDatahash) {
    const actual = createHash("sha256").update(data).digest("hex");
    if (actual !== info.datahash) {
      throw fail(
        `data part does not match the datahash of .PKGINFO (truncated or modified: ${actual} != ${info.datahash})`,
      );
    }
  }
  return {
    info,
    control: entries,
    signatures: sigs ?? [],
    verifiedBy,
    checksum: controlChecksum(control.raw),
    data,
    size: bytes.length,
  };
}

/**
 * The signature and control members of a package. Only these are inflated:
 * the data member after them (of any size) is left compressed.
 */
export async function controlParts(
  bytes: Uint8Array,
): Promise<{ signatures?: FoundSignature[]; control: GzipMember }> {
  const [first] = gzipMembers(bytes, 1);
  if (!first) throw new UserError("empty file");
  const signatures = await signaturesOf(first.data).catch(() => undefined);
  if (!signatures) return { control: first };
  const next = first.raw.length;
  if (next >= bytes.length) throw new UserError("truncated: no control part after the signature");
  const [control] = gzipMembers(bytes.subarray(next), 1);
  return { signatures, control: { ...control, offset: next + control.offset } };
}

/**
 * Streams each entry of a package's data part (gzip tar, one member or
 * several) to `onEntry` as it is inflated, which must consume `body` before
 * resolving: however large the files, only a chunk of each is in memory.
 */
export async function streamData(
  data: Uint8Array,
  onEntry: (header: TarHeader, body: AsyncIterable<Uint8Array>) => Promise<void>,
): Promise<void> {
  const gunzip = zlib.createGunzip();
  const inflated = Readable.from([Buffer.from(data.buffer, data.byteOffset, data.byteLength)])
    .pipe(gunzip);
  let corrupt: Error | undefined;
  gunzip.on("error", (err: Error) => {
    corrupt = err;
  });
  try {
    await walkTar(inflated, onEntry);
  } catch (err) {
    if (corrupt) throw new UserError(`corrupt data part: ${corrupt.message}`);
    throw err;
  }
  if (corrupt) throw new UserError(`corrupt data part: ${(corrupt as Error).message}`);
}

/**
 * Calls `onEntry` with each entry of a package's data part and its whole
 * contents, in order (for small packages read into memory, as the scan does).
 */
export async function walkData(
  data: Uint8Array,
  onEntry: (header: TarHeader, content: Uint8Array) => void | Promise<void>,
): Promise<void> {
  await streamData(data, async (header, body) => {
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    await onEntry(header, Buffer.concat(chunks));
  });
}
