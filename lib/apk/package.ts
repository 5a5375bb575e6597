/**
 * Writing .apk files as melange does: the data tar (sorted entries, a PAX
 * SHA-1 per regular file and symlink, owners and modes as built, every
 * mtime SOURCE_DATE_EPOCH, xattrs), the dependency analysis and SBOM, `.PKGINFO`
 * with the datahash, the control member and its signature. The same tree
 * and spec give the same bytes.
 */
import { UserError } from "../errors.ts";
import { Buffer } from "node:buffer";
import { createHash, generateKeyPair } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { writeDataMember } from "./datatar.ts";
import type { AccountNames } from "./accounts.ts";
import {
  type AnalysisOptions,
  type AnalysisTree,
  analyze,
  type Generated,
  mergeDependencies,
} from "./analyze.ts";
import { controlChecksum } from "./archive.ts";
import { diskTree } from "./disktree.ts";
import { gzip } from "./gzip.ts";
import { type ApkPackage, emptyPackage } from "./index.ts";
import { formatPkgInfo, type PkgInfo } from "./pkginfo.ts";
import { type ConfigFileRef, sbomDigests, type SbomFile, sbomPath, spdxDocument } from "./sbom.ts";
import {
  publicKeyName,
  type SignatureAlgorithm,
  signatureMember,
  type SigningKey,
} from "./signature.ts";
import type { ShlibContext } from "./shlibver.ts";
import { type TarEntry, writeTar } from "./tar.ts";
import {
  type EntryMetadata,
  type OwnerRemap,
  type TreeEntry,
  walkTree,
  withMetadata,
} from "./tree.ts";
import type { PackageJob } from "./package_worker.ts";

/** Scriptlets melange packages into the control member. */
export interface Scriptlets {
  trigger?: { script?: string; paths?: string[] };
  "pre-install"?: string;
  "post-install"?: string;
  "pre-deinstall"?: string;
  "post-deinstall"?: string;
  "pre-upgrade"?: string;
  "post-upgrade"?: string;
}

/** Everything about a package except its files. */
export interface PackageSpec {
  name: string;
  /** Full version, `1.2.3-r0`. */
  version: string;
  epoch: number;
  arch: string;
  description?: string;
  url?: string;
  commit?: string;
  /** The licenses joined with AND (the index's `L:` takes the first of `licenses`). */
  license?: string;
  /** The licenses one by one, a `.PKGINFO` line each as melange writes them (default: `license`). */
  licenses?: string[];
  origin?: string;
  dependencies?: {
    runtime?: string[];
    provides?: string[];
    replaces?: string[];
    providerPriority?: number | string;
    replacesPriority?: number | string;
  };
  options?: AnalysisOptions;
  /** Set when `MELANGE_VERSIONED_SHLIB_DEPENDS` is (lib/apk/shlibver.ts). */
  shlibs?: ShlibContext;
  scriptlets?: Scriptlets;
  /** Purl namespace for the SBOM and, when given, the `maintainer` of `.PKGINFO` (as melange). */
  namespace?: string;
  /** The build's configuration as YAML, kept as `.melange.yaml` in the control member. */
  melangeYaml?: string;
  /** The build file, named in the SBOM as melange names it. */
  config?: ConfigFileRef;
}

/** Options of {@link writePackage}. */
export interface WriteOptions {
  sourceDateEpoch: number;
  signingKey?: SigningKey;
  /** Signature hash: SHA-256 (`.SIGN.RSA256.`) unless SHA-1 is asked for. */
  algorithm?: SignatureAlgorithm;
  /** gzip level of the data member (default 6). */
  level?: number;
  /** Owners that become others in the package (melange: the build user and group become root). */
  remap?: OwnerRemap;
  /** User and group names for the data's headers (melange: the build environment's). */
  names?: AccountNames;
}

/** A written package. */
export interface WrittenPackage {
  info: ApkPackage;
  pkginfo: PkgInfo;
  bytes: Uint8Array;
  /** What the analysis found, with the package's options applied (melange's dependency log). */
  generated: { runtime: string[]; provides: string[] };
}

/** Writes one package from the tree at `dir` (a missing directory is an empty package). */
export async function writePackage(
  dir: string,
  spec: PackageSpec,
  opts: WriteOptions,
  relatives?: AnalysisTree[],
  metadata?: Map<string, EntryMetadata>,
): Promise<WrittenPackage> {
  const entries = treeEntries({ dir, metadata }, opts.remap);
  const tree = diskTree(dir, entries);
  const generated = analyze({
    name: spec.name,
    version: spec.version,
    tree,
    relatives: relatives ?? [tree],
    explicitRuntime: spec.dependencies?.runtime,
    shlibs: spec.options?.noVersionedShlibDeps ? undefined : spec.shlibs,
  });
  const deps = mergeDependencies(spec.dependencies ?? {}, generated, spec.options);

  const digests = new Map<string, Omit<SbomFile, "path">>();
  for (const e of entries) {
    if (e.kind !== "file") continue;
    const data = await readFile(join(dir, e.path));
    digests.set(e.path, sbomDigests(data));
  }
  const sbom = new TextEncoder().encode(spdxDocument(
    {
      ...spec,
      licenses: spec.licenses ?? (spec.license ? [spec.license] : []),
      sourceDateEpoch: opts.sourceDateEpoch,
    },
    [...digests].map(([path, d]) => ({ path, ...d })),
  ));
  const size = installedSize(entries, sbomPath(spec), sbom.length);

  const data = await writeDataMember(dir, entries, {
    sourceDateEpoch: opts.sourceDateEpoch,
    level: opts.level,
    sbom: { path: sbomPath(spec), data: sbom },
    sha1: new Map([...digests].map(([path, d]) => [path, d.sha1])),
    names: opts.names,
  });
  const pkginfo: PkgInfo = {
    pkgname: spec.name,
    pkgver: spec.version,
    arch: spec.arch,
    size,
    origin: spec.origin ?? spec.name,
    pkgdesc: spec.description,
    url: spec.url ?? "",
    commit: spec.commit ?? "",
    maintainer: spec.namespace,
    builddate: opts.sourceDateEpoch,
    license: spec.licenses?.[0] ?? spec.license,
    licenses: spec.licenses ?? (spec.license ? [spec.license] : []),
    depend: deps.runtime,
    provides: deps.provides,
    replaces: spec.dependencies?.replaces ?? [],
    vendored: deps.vendored,
    providerPriority: priority(spec.dependencies?.providerPriority),
    replacesPriority: priority(spec.dependencies?.replacesPriority),
    triggers: spec.scriptlets?.trigger?.paths ?? [],
    datahash: createHash("sha256").update(data).digest("hex"),
  };
  const control = gzip(
    await writeTar(controlEntries(pkginfo, spec, opts), { segment: true }),
  );
  const parts = [control, data];
  if (opts.signingKey) {
    const key = { ...opts.signingKey, name: publicKeyName(opts.signingKey.name) };
    parts.unshift(await signatureMember(control, key, opts.algorithm ?? "sha256"));
  }
  const bytes = Buffer.concat(parts);
  return {
    info: indexRecord(pkginfo, controlChecksum(control), bytes.length),
    pkginfo,
    bytes,
    generated: generatedAfterOptions(generated, spec.options),
  };
}

/**
 * Writes several packages (a package and its subpackages) at once, one
 * worker per core: zlib in Deno runs on the calling thread, so workers are
 * what spreads the compression over the cores. Where workers cannot start
 * (a bundle without the worker module), the packages are written here.
 */
export async function writePackages(
  items: (PackageTree & { spec: PackageSpec })[],
  opts: WriteOptions,
): Promise<WrittenPackage[]> {
  const relatives = items.map(({ dir, metadata }) => ({ dir, metadata }));
  const out: WrittenPackage[] = new Array(items.length);
  const n = Math.max(1, Math.min(items.length, availableParallelism()));
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      const { dir, spec, metadata } = items[i];
      try {
        out[i] = n > 1
          ? await inWorker({ dir, spec, opts, relatives, metadata })
          : await writePackage(dir, spec, opts, analysisTrees(relatives, opts), metadata);
      } catch (err) {
        throw new UserError(`packaging ${spec.name}-${spec.version}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: n }, run));
  return out;
}

/** Writes one package in a worker, or here when no worker can start. */
function inWorker(job: PackageJob): Promise<WrittenPackage> {
  const here = () =>
    writePackage(
      job.dir,
      job.spec,
      job.opts,
      analysisTrees(job.relatives, job.opts),
      job.metadata,
    );
  const url = new URL("./package_worker.ts", import.meta.url);
  // A bundle has no worker module beside it: write the package here.
  if (url.protocol === "file:" && !existsSync(url)) return here();
  let worker: Worker;
  try {
    worker = new Worker(url, { type: "module" });
  } catch {
    return here();
  }
  return new Promise<WrittenPackage>((resolve, reject) => {
    worker.onmessage = (e) => {
      worker.terminate();
      const r = e.data;
      if (r.ok) {
        resolve({
          info: r.info,
          pkginfo: r.pkginfo,
          bytes: new Uint8Array(r.bytes),
          generated: r.generated,
        });
      } else reject(r.user ? new UserError(r.message) : new Error(r.message));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      // The worker module could not load: write the package here.
      here().then(resolve, reject);
    };
    worker.postMessage(job);
  });
}

/** A package's tree: the directory its files are in, and their owners as built. */
export interface PackageTree {
  dir: string;
  /** Owners, modes and xattrs by path, as the builder reported them (else the disk's). */
  metadata?: Map<string, EntryMetadata>;
}

/** The entries of a tree (none when its directory is missing), owners as built and remapped. */
function treeEntries(t: PackageTree, remap?: OwnerRemap): TreeEntry[] {
  return withMetadata(existsSync(t.dir) ? walkTree(t.dir) : [], t.metadata, remap);
}

/** The analysis views of a package and its relatives. */
export function analysisTrees(trees: PackageTree[], opts: WriteOptions): AnalysisTree[] {
  return trees.map((t) => diskTree(t.dir, treeEntries(t, opts.remap)));
}

/** melange's generated dependencies after its options (sca.Analyze drops them there). */
function generatedAfterOptions(
  g: Generated,
  o: AnalysisOptions | undefined,
): WrittenPackage["generated"] {
  const cmd = (d: string) => o?.noCommands && d.startsWith("cmd:");
  return {
    runtime: o?.noDepends ? [] : g.runtime.filter((d) => !cmd(d)),
    provides: o?.noProvides ? [] : g.provides.filter((d) => !cmd(d)),
  };
}

/** A priority from the build file; 0 and absent are the same to apk. */
function priority(v: number | string | undefined): number | undefined {
  return v === undefined || v === "" || Number(v) === 0 ? undefined : Number(v);
}

/** What a directory counts toward the installed size: ext4's size of a one-block directory. */
const DIRECTORY_SIZE = 4096;

/**
 * The installed size as melange counts it: the size of every entry of the
 * tree, the root included, as a walk reports them (a file's bytes, each name
 * of a hardlinked file, a symlink's target length, a directory's size), with
 * the SBOM and its directories. Directory sizes depend on the file system,
 * so each counts as ext4's one block: the same tree gives the same size on
 * any disk.
 */
function installedSize(entries: TreeEntry[], sbomFile: string, sbomSize: number): number {
  const have = new Set(entries.map((e) => e.path));
  let size = DIRECTORY_SIZE + sbomSize; // the root and the SBOM
  const parts = sbomFile.split("/");
  for (let i = 1; i < parts.length; i++) {
    if (!have.has(parts.slice(0, i).join("/"))) size += DIRECTORY_SIZE;
  }
  for (const e of entries) {
    if (e.kind === "file" || e.kind === "link") size += e.stat.size;
    else if (e.kind === "symlink") size += Buffer.byteLength(e.linkname ?? "");
    else if (e.kind === "directory") size += DIRECTORY_SIZE;
  }
  return size;
}

/** The index record of a package: its `.PKGINFO`, control checksum and file size. */
export function indexRecord(p: PkgInfo, checksum: string, size: number): ApkPackage {
  return {
    ...emptyPackage(p.pkgname, p.pkgver, p.arch),
    checksum,
    size,
    installedSize: p.size,
    description: p.pkgdesc ?? "",
    url: p.url ?? "",
    license: p.license ?? "",
    origin: p.origin,
    maintainer: p.maintainer,
    buildTime: p.builddate,
    commit: p.commit,
    providerPriority: p.providerPriority,
    depends: p.depend,
    provides: p.provides,
    replaces: p.replaces,
  };
}

const SCRIPTLETS = [
  "pre-install",
  "post-install",
  "pre-deinstall",
  "post-deinstall",
  "pre-upgrade",
  "post-upgrade",
] as const;

/** The control member's files, in the order melange's walk writes them, owned by root. */
function controlEntries(p: PkgInfo, spec: PackageSpec, opts: WriteOptions): TarEntry[] {
  const file = (name: string, text: string, mode: number): TarEntry => ({
    header: {
      name,
      type: "file",
      mode,
      uid: 0,
      gid: 0,
      uname: "root",
      gname: "root",
      size: 0,
      mtime: opts.sourceDateEpoch,
    },
    data: new TextEncoder().encode(text),
  });
  const scriptlets = spec.scriptlets;
  const out = [file(".PKGINFO", formatPkgInfo(p), 0o644)];
  if (spec.melangeYaml !== undefined) out.push(file(".melange.yaml", spec.melangeYaml, 0o644));
  for (const s of SCRIPTLETS) if (scriptlets?.[s]) out.push(file(`.${s}`, scriptlets[s]!, 0o755));
  if (scriptlets?.trigger?.script) out.push(file(".trigger", scriptlets.trigger.script, 0o755));
  return out.sort((a, b) => (a.header.name < b.header.name ? -1 : 1));
}

/**
 * Writes a new RSA key pair as melange does: `<dir>/<name>` (PKCS#1 PEM
 * private key, mode 0600) and `<dir>/<name>.pub` (PKIX PEM public key).
 */
export async function generateKey(
  name: string,
  dir = ".",
  bits = 4096,
): Promise<{ privateKey: string; publicKey: string }> {
  const { privateKey, publicKey } = await new Promise<{ privateKey: string; publicKey: string }>(
    (resolve, reject) =>
      generateKeyPair("rsa", {
        modulusLength: bits,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs1", format: "pem" },
      }, (err, pub, priv) => (err ? reject(err) : resolve({ publicKey: pub, privateKey: priv }))),
  );
  mkdirSync(dir, { recursive: true });
  const priv = join(dir, name);
  writeFileSync(priv, privateKey, { mode: 0o600 });
  writeFileSync(`${priv}.pub`, publicKey, { mode: 0o644 });
  return { privateKey: priv, publicKey: `${priv}.pub` };
}
