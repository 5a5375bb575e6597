/**
 * melange's `rebuild` (experimental there too): what a package says about
 * its own build (`.melange.yaml`, `.PKGINFO`, and the build file package
 * of its SBOM) and the comparison of an original package with its rebuild.
 */
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { readApk, walkData } from "../apk/archive.ts";
import { gzipMembers } from "../apk/gzip.ts";
import type { PkgInfo } from "../apk/pkginfo.ts";
import type { ConfigFileRef } from "../apk/sbom.ts";
import { walkTar } from "../apk/tar.ts";
import { UserError } from "../errors.ts";

/** What a package records about the build that made it. */
export interface RebuildInfo {
  /** `.melange.yaml`: the build's compiled configuration. */
  configYaml: string;
  pkginfo: PkgInfo;
  /** The SBOM's build file package: path, commit, repository, license. */
  config: ConfigFileRef;
  /** The SBOM's supplier, lower case (melange's --namespace). */
  namespace: string;
  /** `.PKGINFO`'s builddate as RFC 3339 (the build's --build-date). */
  buildDate: string;
}

/** Reads what rebuilding `bytes` (the package at `source`) needs; errors say what is missing. */
export async function rebuildInfo(bytes: Uint8Array, source: string): Promise<RebuildInfo> {
  const apk = await readApk(bytes, new Map(), { allowUntrusted: true, source });
  const yaml = apk.control.find((e) => e.header.name === ".melange.yaml");
  if (!yaml) {
    throw new UserError(`${source}: no .melange.yaml in the package: it cannot be rebuilt`);
  }
  const info = apk.info;
  const sbomName = `var/lib/db/sbom/${info.pkgname}-${info.pkgver}.spdx.json`;
  let sbom: any;
  await walkData(apk.data, (header, content) => {
    if (header.name === sbomName) sbom = JSON.parse(new TextDecoder().decode(content));
  });
  if (!sbom) throw new UserError(`${source}: no SBOM (${sbomName}) in the package`);
  const cfg = (sbom.packages ?? []).find((p: any) => String(p.name ?? "").endsWith(".yaml"));
  const purl = cfg?.externalRefs?.find((r: any) => r.referenceType === "purl")?.referenceLocator;
  if (!cfg || !purl) {
    throw new UserError(
      `${source}: its SBOM names no build file package with a purl (built by a melange2 ` +
        `without it?): nothing says which file and commit to rebuild`,
    );
  }
  const m = /^pkg:github\/([^@#?]+)\/([^/@#?]+)@([^#?]*)(?:\?[^#]*)?(?:#(.*))?$/.exec(purl);
  if (!m) throw new UserError(`${source}: the build file's purl ${purl} is not a pkg:github one`);
  const [, owner, name, , subpath] = m.map((x) => x && decodeURIComponent(x));
  return {
    configYaml: new TextDecoder().decode(yaml.data),
    pkginfo: info,
    config: {
      path: subpath || cfg.name,
      commit: cfg.versionInfo ?? "unknown",
      repositoryUrl: `https://github.com/${owner}/${name}`,
      license: cfg.licenseDeclared ?? "NOASSERTION",
    },
    namespace: String(cfg.originator ?? "").replace(/^Organization: /, "").toLowerCase(),
    buildDate: new Date((info.builddate ?? 0) * 1000).toISOString().replace(/\.000Z$/, "Z"),
  };
}

/** An entry of a package, as the comparison sees it. */
interface Entry {
  digest: string;
  /** Kept for .PKGINFO, .melange.yaml and the SBOM, whose differences are printed. */
  text?: string;
}

/** Whether differences in `path` are shown line by line (melange's isImportantPath). */
function important(path: string): boolean {
  return path === ".PKGINFO" || path === ".melange.yaml" || path.startsWith("var/lib/db/sbom/");
}

/** Every tar entry of a package (signature, control and data parts read as one stream). */
async function entries(bytes: Uint8Array): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const tar = Buffer.concat(gzipMembers(bytes).map((m) => m.data));
  await walkTar(tar, async (header, body) => {
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    const data = Buffer.concat(chunks);
    out.set(header.name, {
      digest: createHash("sha256").update(data).digest("hex"),
      text: important(header.name) ? new TextDecoder().decode(data) : undefined,
    });
  });
  return out;
}

/**
 * The differences between an original package and its rebuild, as melange
 * lists them: entries removed, added or changed (with a line diff for the
 * metadata files), then the digest of the whole files. Empty: identical.
 */
export async function diffApks(oldBytes: Uint8Array, newBytes: Uint8Array): Promise<string[]> {
  const [a, b] = await Promise.all([entries(oldBytes), entries(newBytes)]);
  const out: string[] = [];
  for (const [path, o] of a) {
    const n = b.get(path);
    if (!n) out.push(`removed: ${path}`);
    else if (o.digest !== n.digest) {
      out.push(`changed: ${path}: digests ${o.digest} -> ${n.digest}`);
      if (o.text !== undefined && n.text !== undefined) {
        out.push(`contents diff: ${path} (-old,+new):\n${lineDiff(o.text, n.text)}`);
      }
    }
  }
  for (const path of b.keys()) if (!a.has(path)) out.push(`added: ${path}`);
  const digest = (x: Uint8Array) => createHash("sha256").update(x).digest("hex");
  if (digest(oldBytes) !== digest(newBytes)) {
    out.push(`APK digest diff: ${digest(oldBytes)} -> ${digest(newBytes)}`);
  }
  return out;
}

/** The lines only one side has, `-` for the old and `+` for the new (order kept). */
function lineDiff(a: string, b: string): string {
  const left = a.split("\n");
  const right = b.split("\n");
  const inRight = new Set(right);
  const inLeft = new Set(left);
  return [
    ...left.filter((l) => !inRight.has(l)).map((l) => `- ${l}`),
    ...right.filter((l) => !inLeft.has(l)).map((l) => `+ ${l}`),
  ].join("\n");
}
