/**
 * A build environment from APK repositories, in three stages with plain
 * data between them, as apko does it: resolve (indexes and keys to the list
 * of packages), then install (fetch, verify, unpack, write apk's database
 * and configuration, accounts). The content digest names an environment so
 * an identical one is recognized without unpacking again.
 */
import { UserError } from "../errors.ts";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Accounts, writeAccounts } from "./accounts.ts";
import { formatInstalledDb, type InstalledPackage } from "./installed.ts";
import { installData, type Owners } from "./install.ts";
import {
  fetchPackageFile,
  formatRepository,
  loadIndex,
  loadKeyring,
  packageLocation,
  parseRepository,
  type RepositoryPackage,
} from "./repository.ts";
import { openApk } from "./apkfile.ts";
import { type PackageUniverse, resolve, universe } from "./resolve.ts";
import type { Keyring } from "./signature.ts";

/** What an environment is made of. */
export interface EnvironmentSpec {
  repositories: string[];
  /** Public key files or URLs. */
  keyring: string[];
  packages: string[];
  arch: string;
  accounts?: Accounts;
  allowUntrusted?: boolean;
  /**
   * Repositories (as given in `repositories`) read without signature checks:
   * the user's own output directory, whose packages may be unsigned.
   */
  trustedRepositories?: string[];
  /** Cache of indexes and packages (default: none). */
  cacheDir?: string;
  signal?: AbortSignal;
}

/** The outcome of resolution. */
export interface ResolvedEnvironment {
  /** In install order. */
  packages: RepositoryPackage[];
  keyring: Keyring;
  /** Everything the indexes offer (melange's resolver for versioned shlib dependencies). */
  universe: PackageUniverse;
}

/** Loads keys and indexes and resolves the requested packages. */
export async function resolveEnvironment(spec: EnvironmentSpec): Promise<ResolvedEnvironment> {
  const opts = {
    allowUntrusted: spec.allowUntrusted,
    cacheDir: spec.cacheDir,
    signal: spec.signal,
  };
  const keyring = await loadKeyring(spec.keyring, opts);
  const trusted = new Set(spec.trustedRepositories ?? []);
  const repos = spec.repositories.map((line) => ({
    ...parseRepository(line),
    trusted: trusted.has(line),
  }));
  const indexes = await Promise.all(
    repos.map((r) =>
      loadIndex(r, spec.arch, keyring, {
        ...opts,
        allowUntrusted: opts.allowUntrusted || r.trusted,
      })
    ),
  );
  const u = universe(indexes, spec.arch);
  const packages = resolve(u, spec.packages);
  return { packages, keyring, universe: u };
}

/** A digest of everything that decides an environment's contents. */
export function environmentDigest(resolved: ResolvedEnvironment, spec: EnvironmentSpec): string {
  const h = createHash("sha256");
  const line = (s: string) => h.update(s + "\n");
  line("melange2-environment-v2");
  line(spec.arch);
  for (const p of resolved.packages) line(`${p.name} ${p.version} ${p.checksum ?? ""}`);
  for (const r of spec.repositories) line(`repo ${r}`);
  for (const r of spec.trustedRepositories ?? []) line(`trusted ${r}`);
  for (const [name, pem] of [...resolved.keyring].sort()) line(`key ${name} ${pem}`);
  for (const w of [...spec.packages].sort()) line(`world ${w}`);
  line(JSON.stringify(spec.accounts ?? null));
  return `sha256:${h.digest("hex")}`;
}

/** Fetches, verifies and unpacks the resolved packages into `root`. */
export async function installEnvironment(
  resolved: ResolvedEnvironment,
  root: string,
  spec: EnvironmentSpec,
): Promise<InstalledPackage[]> {
  const opts = {
    allowUntrusted: spec.allowUntrusted,
    cacheDir: spec.cacheDir,
    signal: spec.signal,
  };
  mkdirSync(root, { recursive: true });
  // Downloads happen first, several at once, each streamed to a file (the
  // cache, else a directory of this install's own); every package is then
  // read from the disk as it is installed, never held whole.
  const downloads = spec.cacheDir ??
    await Deno.makeTempDir({ prefix: "melange2-packages-" });
  const installed: InstalledPackage[] = [];
  try {
    const files = await pool(
      resolved.packages,
      8,
      (p) => fetchPackageFile(p, downloads, opts),
    );
    const owners: Owners = new Map();
    for (const [i, p] of resolved.packages.entries()) {
      installed.push(await installOne(root, p, files[i], resolved.keyring, spec, owners));
    }
  } finally {
    if (!spec.cacheDir) await Deno.remove(downloads, { recursive: true }).catch(() => {});
  }
  writeApkState(root, installed, spec, resolved.keyring);
  writeAccounts(root, spec.accounts);
  writeBaseLayout(root);
  return installed;
}

/** Verifies and installs one package from its file (the index's checksum, the keyring). */
async function installOne(
  root: string,
  p: RepositoryPackage,
  file: string,
  keyring: Keyring,
  spec: EnvironmentSpec,
  owners: Owners,
): Promise<InstalledPackage> {
  const source = `${p.name}-${p.version}`;
  const trust = { allowUntrusted: spec.allowUntrusted || p.repository.trusted, source };
  try {
    const apk = await openApk(file, keyring, trust);
    if (p.checksum && apk.head.checksum !== p.checksum) {
      throw new UserError(
        `${packageLocation(p)}: checksum ${apk.head.checksum} does not match the index ` +
          `(${p.checksum})`,
      );
    }
    // Indexes written by some tools leave out r:, so the package's own .PKGINFO decides.
    const pkg = { ...p, replaces: p.replaces.length ? p.replaces : apk.head.info.replaces };
    const done = await installData(root, pkg, apk.data, owners);
    await apk.verifyDatahash();
    return done;
  } catch (err) {
    throw new UserError(
      `installing ${source}: ${(err as Error).message.replace(`${source}: `, "")}`,
    );
  }
}

/** Directories every root file system has, as apko lays them out, where packages made none. */
const BASE_LAYOUT: [string, number][] = [
  ["dev", 0o755],
  ["proc", 0o555],
  ["sys", 0o555],
  ["run", 0o755],
  ["root", 0o700],
  ["tmp", 0o1777],
  ["var/tmp", 0o1777],
  ["var/cache", 0o755],
];

function writeBaseLayout(root: string): void {
  for (const [dir, mode] of BASE_LAYOUT) {
    const full = join(root, dir);
    if (existsSync(full)) continue;
    mkdirSync(full, { recursive: true });
    chmodSync(full, mode);
  }
}

/** apk's own files: the installed database, world, repositories and keys. */
function writeApkState(
  root: string,
  installed: InstalledPackage[],
  spec: EnvironmentSpec,
  keyring: Keyring,
) {
  const dbDir = join(root, "lib/apk/db");
  mkdirSync(dbDir, { recursive: true });
  writeFileSync(join(dbDir, "installed"), formatInstalledDb(installed));
  mkdirSync(join(root, "etc/apk/keys"), { recursive: true });
  writeFileSync(join(root, "etc/apk/world"), [...new Set(spec.packages)].sort().join("\n") + "\n");
  writeFileSync(
    join(root, "etc/apk/repositories"),
    spec.repositories.map((r) => formatRepository(parseRepository(r))).join("\n") + "\n",
  );
  writeFileSync(join(root, "etc/apk/arch"), spec.arch + "\n");
  for (const [name, pem] of keyring) writeFileSync(join(root, "etc/apk/keys", name), pem);
}

/** Runs `fn` over `items` with at most `n` at once, keeping order. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}
