/** Helpers for the APK tests: fixtures, keys and hand-made (also malicious) packages. */
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { gzip } from "../../lib/apk/gzip.ts";
import { type TarEntry, type TarHeader, writeTar } from "../../lib/apk/tar.ts";
import { formatPkgInfo } from "../../lib/apk/pkginfo.ts";
import { type Keyring, signatureMember, type SigningKey } from "../../lib/apk/signature.ts";
import { sharedPath } from "../shared.ts";

/** A keyring holding one fixture key under its file name. */
export function fixtureKeyring(path: string, name = path.split("/").pop()!): Keyring {
  return new Map([[name, readFileSync(sharedPath("fixtures", path), "utf8")]]);
}

/** A tar entry with defaults. */
export function entry(name: string, over: Partial<TarHeader> = {}, data = ""): TarEntry {
  const bytes = new TextEncoder().encode(data);
  return {
    header: {
      name,
      type: "file",
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: bytes.length,
      mtime: 0,
      ...over,
    },
    data: bytes,
  };
}

/** A package whose data part holds exactly `entries` (no checks on them). */
export async function handMadeApk(
  name: string,
  version: string,
  entries: TarEntry[],
  key?: SigningKey,
  arch = "x86_64",
): Promise<Uint8Array> {
  return await apkFromTar(name, version, await writeTar(entries), key, arch);
}

/** A package whose data part is exactly the tar `tarBytes` (which may be malformed on purpose). */
export async function apkFromTar(
  name: string,
  version: string,
  tarBytes: Uint8Array,
  key?: SigningKey,
  arch = "x86_64",
): Promise<Uint8Array> {
  const data = gzip(tarBytes);
  const { createHash } = await import("node:crypto");
  const pkginfo = formatPkgInfo({
    pkgname: name,
    pkgver: version,
    arch,
    size: 0,
    builddate: 0,
    depend: [],
    provides: [],
    replaces: [],
    triggers: [],
    datahash: createHash("sha256").update(data).digest("hex"),
  });
  const control = gzip(await writeTar([entry(".PKGINFO", {}, pkginfo)], { segment: true }));
  const parts = key ? [await signatureMember(control, key), control, data] : [control, data];
  return Buffer.concat(parts);
}
