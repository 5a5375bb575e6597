/**
 * Repository indexes: the `APKINDEX` text (one block of `X:value` lines per
 * package) and the `APKINDEX.tar.gz` archive around it (an optional
 * signature member, then a tar holding `DESCRIPTION` and `APKINDEX`).
 */
import { UserError } from "../errors.ts";
import { Buffer } from "node:buffer";
import { gzip, gzipMembers } from "./gzip.ts";
import {
  type FoundSignature,
  type Keyring,
  parseSignatureName,
  type SignatureAlgorithm,
  signatureMember,
  type SigningKey,
  type TrustOptions,
  verifySignatures,
} from "./signature.ts";
import { readTar, writeTar } from "./tar.ts";

/** A package as an index (or the installed database) describes it. */
export interface ApkPackage {
  name: string;
  version: string;
  arch: string;
  /** `Q1` + base64 of the SHA-1 of the package's control member. */
  checksum?: string;
  /** Size of the .apk file. */
  size: number;
  installedSize: number;
  description: string;
  url: string;
  license: string;
  origin?: string;
  maintainer?: string;
  buildTime?: number;
  commit?: string;
  providerPriority?: number;
  depends: string[];
  provides: string[];
  installIf: string[];
  replaces: string[];
  replacesPriority?: number;
}

/** An empty package record, for builders. */
export function emptyPackage(name: string, version: string, arch: string): ApkPackage {
  return {
    name,
    version,
    arch,
    size: 0,
    installedSize: 0,
    description: "",
    url: "",
    license: "",
    depends: [],
    provides: [],
    installIf: [],
    replaces: [],
  };
}

const list = (v: string) => v.split(/\s+/).filter(Boolean);

/** Applies one `X:value` line of an index or installed database to `p`; false if unknown. */
export function applyIndexField(p: ApkPackage, key: string, value: string): boolean {
  switch (key) {
    case "C":
      p.checksum = value;
      break;
    case "P":
      p.name = value;
      break;
    case "V":
      p.version = value;
      break;
    case "A":
      p.arch = value;
      break;
    case "S":
      p.size = Number(value);
      break;
    case "I":
      p.installedSize = Number(value);
      break;
    case "T":
      p.description = value;
      break;
    case "U":
      p.url = value;
      break;
    case "L":
      p.license = value;
      break;
    case "o":
      p.origin = value;
      break;
    case "m":
      p.maintainer = value;
      break;
    case "t":
      p.buildTime = Number(value);
      break;
    case "c":
      p.commit = value;
      break;
    case "k":
      p.providerPriority = Number(value);
      break;
    case "D":
      p.depends = list(value);
      break;
    case "p":
      p.provides = list(value);
      break;
    case "i":
      p.installIf = value === "[]" ? [] : list(value);
      break;
    case "r":
      p.replaces = list(value);
      break;
    case "q":
      p.replacesPriority = Number(value);
      break;
    default:
      return false;
  }
  return true;
}

/** Parses `APKINDEX` text. `source` names the index in errors. */
export function parseIndex(text: string, source = "APKINDEX"): ApkPackage[] {
  const out: ApkPackage[] = [];
  let cur: ApkPackage | undefined;
  let lineNo = 0;
  const finish = () => {
    if (!cur) return;
    if (!cur.name || !cur.version) {
      throw new UserError(`${source}:${lineNo}: entry without P: or V:`);
    }
    out.push(cur);
    cur = undefined;
  };
  for (const line of text.split("\n")) {
    lineNo++;
    if (!line) {
      finish();
      continue;
    }
    if (line[1] !== ":") {
      throw new UserError(`${source}:${lineNo}: expected "X:value", got "${line.slice(0, 40)}"`);
    }
    cur ??= emptyPackage("", "", "");
    applyIndexField(cur, line[0], line.slice(2));
  }
  finish();
  return out;
}

/**
 * The `X:value` lines of one package, in apk-tools' order, without the blank
 * line. `r:` and `q:` are installed-database fields: apk-tools writes them
 * there (`installed`), never in an APKINDEX.
 */
export function formatIndexEntry(p: ApkPackage, opts: { installed?: boolean } = {}): string[] {
  const lines: string[] = [];
  if (p.checksum) lines.push(`C:${p.checksum}`);
  lines.push(`P:${p.name}`, `V:${p.version}`, `A:${p.arch}`, `S:${p.size}`, `I:${p.installedSize}`);
  lines.push(`T:${p.description}`, `U:${p.url}`, `L:${p.license}`);
  if (p.origin) lines.push(`o:${p.origin}`);
  if (p.maintainer) lines.push(`m:${p.maintainer}`);
  if (p.buildTime) lines.push(`t:${p.buildTime}`);
  if (p.commit) lines.push(`c:${p.commit}`);
  if (p.providerPriority) lines.push(`k:${p.providerPriority}`);
  if (p.depends.length) lines.push(`D:${p.depends.join(" ")}`);
  if (p.provides.length) lines.push(`p:${p.provides.join(" ")}`);
  if (p.installIf.length) lines.push(`i:${p.installIf.join(" ")}`);
  if (opts.installed && p.replaces.length) lines.push(`r:${p.replaces.join(" ")}`);
  if (opts.installed && p.replacesPriority) lines.push(`q:${p.replacesPriority}`);
  return lines;
}

/** Writes `APKINDEX` text. */
export function formatIndex(pkgs: ApkPackage[]): string {
  return pkgs.map((p) => formatIndexEntry(p).join("\n") + "\n\n").join("");
}

/** Collects the signatures of a signature member's tar; none when it is not one. */
export async function signaturesOf(tarData: Uint8Array): Promise<FoundSignature[] | undefined> {
  const entries = await readTar(tarData);
  const sigs: FoundSignature[] = [];
  for (const e of entries) {
    const parsed = parseSignatureName(e.header.name);
    if (!parsed) return undefined;
    sigs.push({ ...parsed, signature: e.data });
  }
  return sigs.length ? sigs : undefined;
}

/** Reads an `APKINDEX.tar.gz`, verifying its signature against `keyring`. */
export async function readIndexArchive(
  bytes: Uint8Array,
  keyring: { keys: Keyring } | Keyring,
  opts: TrustOptions,
): Promise<ApkPackage[]> {
  const keys = keyring instanceof Map ? keyring : keyring.keys;
  let members;
  try {
    members = gzipMembers(bytes);
  } catch (err) {
    throw new UserError(`${opts.source}: ${(err as Error).message}`);
  }
  if (!members.length) throw new UserError(`${opts.source}: empty file`);
  const sigs = await signaturesOf(members[0].data).catch(() => undefined);
  const body = sigs ? members.slice(1) : members;
  if (!body.length) throw new UserError(`${opts.source}: no index after the signature`);
  verifySignatures(body[0].raw, sigs ?? [], keys, opts);
  const bodyTar = body.length === 1 ? body[0].data : Buffer.concat(body.map((m) => m.data));
  const entries = await readTar(bodyTar).catch((err) => {
    throw new UserError(`${opts.source}: ${(err as Error).message}`);
  });
  const index = entries.find((e) => e.header.name === "APKINDEX");
  if (!index) throw new UserError(`${opts.source}: no APKINDEX inside`);
  return parseIndex(new TextDecoder().decode(index.data), opts.source);
}

/** Options of {@link writeIndexArchive}. */
export interface WriteIndexOptions {
  signingKey?: SigningKey;
  algorithm?: SignatureAlgorithm;
  description?: string;
}

/** Writes an `APKINDEX.tar.gz` (signed when a key is given); the same input gives the same bytes. */
export async function writeIndexArchive(
  pkgs: ApkPackage[],
  opts: WriteIndexOptions = {},
): Promise<Uint8Array> {
  const enc = new TextEncoder();
  const file = (name: string, text: string) => ({
    header: { name, type: "file" as const, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 },
    data: enc.encode(text),
  });
  const body = gzip(
    await writeTar([
      file("DESCRIPTION", opts.description ?? ""),
      file("APKINDEX", formatIndex(pkgs)),
    ]),
  );
  if (!opts.signingKey) return body;
  const sig = await signatureMember(body, opts.signingKey, opts.algorithm ?? "sha256");
  return Buffer.concat([sig, body]);
}

/** Re-signs an existing index archive with `key` (replacing any signature). */
export async function resignIndexArchive(
  bytes: Uint8Array,
  key: SigningKey,
  algorithm: SignatureAlgorithm = "sha256",
  source = "APKINDEX.tar.gz",
): Promise<Uint8Array> {
  const members = gzipMembers(bytes);
  const sigs = await signaturesOf(members[0]?.data ?? new Uint8Array()).catch(() => undefined);
  const body = (sigs ? members.slice(1) : members)[0];
  if (!body) throw new UserError(`${source}: no index to sign`);
  const rest = bytes.subarray(body.offset);
  return Buffer.concat([await signatureMember(body.raw, key, algorithm), rest]);
}
