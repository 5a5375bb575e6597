/**
 * Repositories and keyrings as apk names them: a repository is a URL or a
 * local path with `<repo>/<arch>/APKINDEX.tar.gz` beneath it, optionally
 * tagged (`@edge https://...`) so only `name@edge` dependencies use it.
 */
import { UserError } from "../errors.ts";
import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { fetchCached, fetchCachedFile, fetchRevalidated, isUrl } from "./fetch.ts";
import { openApk } from "./apkfile.ts";
import { controlChecksum, controlParts } from "./archive.ts";
import { type ApkPackage, readIndexArchive } from "./index.ts";
import type { Keyring } from "./signature.ts";

/** A repository line. */
export interface Repository {
  /** URL or local directory, without a trailing slash. */
  url: string;
  tag?: string;
  /** Read without signature checks (see `EnvironmentSpec.trustedRepositories`). */
  trusted?: boolean;
}

/** A repository's index for one architecture. */
export interface RepositoryIndex {
  repository: Repository;
  arch: string;
  packages: ApkPackage[];
}

/** A package with the repository it comes from. */
export interface RepositoryPackage extends ApkPackage {
  repository: Repository;
}

/** Parses `[@tag] location`. */
export function parseRepository(line: string): Repository {
  const parts = line.trim().split(/\s+/);
  const tagged = parts[0]?.startsWith("@");
  const url = (tagged ? parts[1] : parts[0]) ?? "";
  if (!url) throw new UserError(`empty repository "${line}"`);
  const repo: Repository = { url: url.replace(/\/+$/, "") };
  if (tagged) repo.tag = parts[0].slice(1);
  return repo;
}

/** The repository as a line of `etc/apk/repositories`. */
export function formatRepository(r: Repository): string {
  return r.tag ? `@${r.tag} ${r.url}` : r.url;
}

/** Where a package's file is. */
export function packageLocation(p: RepositoryPackage): string {
  const base = `${p.repository.url}/${p.arch}/${p.name}-${p.version}.apk`;
  return isUrl(base) ? base : join(p.repository.url, p.arch, `${p.name}-${p.version}.apk`);
}

/** Options for reading repositories. */
export interface RepositoryOptions {
  allowUntrusted?: boolean;
  /** On-disk cache (indexes and packages); none when undefined. */
  cacheDir?: string;
  signal?: AbortSignal;
}

/** Loads public keys from files or URLs, named by their file names. */
export async function loadKeyring(
  sources: string[],
  opts: RepositoryOptions = {},
): Promise<Keyring> {
  const keys: Keyring = new Map();
  for (const src of sources) {
    const bytes = await fetchRevalidated(src, opts.cacheDir, { signal: opts.signal });
    keys.set(basename(src), new TextDecoder().decode(bytes));
  }
  return keys;
}

/** A local repository that is not there, said in terms of what the user gave. */
function checkLocalRepository(dir: string, arch: string, index: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UserError(
      `repository ${dir} does not exist: check the path (in environment.contents.repositories ` +
        `or --repository-append), or build packages into it first`,
    );
  }
  if (!isDir) throw new UserError(`repository ${dir} is not a directory`);
  if (!existsSync(index)) {
    throw new UserError(
      `repository ${dir} has no index for ${arch} (${index} is missing): ` +
        `build or index ${arch} packages there (melange2 index), or drop the repository`,
    );
  }
}

/** Fetches and verifies a repository's index for `arch`. */
export async function loadIndex(
  repo: Repository,
  arch: string,
  keyring: Keyring,
  opts: RepositoryOptions = {},
): Promise<RepositoryIndex> {
  const location = isUrl(repo.url)
    ? `${repo.url}/${arch}/APKINDEX.tar.gz`
    : join(repo.url, arch, "APKINDEX.tar.gz");
  if (!isUrl(repo.url)) checkLocalRepository(repo.url, arch, location);
  const bytes = await fetchRevalidated(location, opts.cacheDir, { signal: opts.signal });
  const packages = await readIndexArchive(bytes, keyring, {
    allowUntrusted: opts.allowUntrusted,
    source: location,
  });
  return { repository: repo, arch, packages };
}

/**
 * Fetches a package's file, from the cache when its checksum still matches
 * the index; the control checksum is verified on every use.
 */
export async function fetchPackage(
  p: RepositoryPackage,
  opts: RepositoryOptions = {},
): Promise<Uint8Array> {
  const location = packageLocation(p);
  return await fetchCached(
    location,
    opts.cacheDir,
    `${p.name}-${p.version}-${p.checksum ?? "none"}.apk`,
    async (bytes) => {
      if (!p.checksum) return;
      let control;
      try {
        control = (await controlParts(bytes)).control;
      } catch (err) {
        throw new UserError(`${location}: ${(err as Error).message}`);
      }
      const actual = controlChecksum(control.raw);
      if (actual !== p.checksum) {
        throw new UserError(
          `${location}: checksum ${actual || "missing"} does not match the index (${p.checksum})`,
        );
      }
    },
    { signal: opts.signal },
  );
}

/**
 * {@link fetchPackage} without holding the package: a remote package is
 * streamed to `<dir>/packages/` (kept there when `dir` is the cache) and
 * its path returned once its control checksum matches the index; a local
 * package's path is returned as it is (its checksum is checked where it is
 * opened).
 */
export async function fetchPackageFile(
  p: RepositoryPackage,
  dir: string,
  opts: RepositoryOptions = {},
): Promise<string> {
  const location = packageLocation(p);
  return await fetchCachedFile(
    location,
    dir,
    `${p.name}-${p.version}-${p.checksum ?? "none"}.apk`,
    async (file) => {
      if (!p.checksum) return;
      // Only the head is read here; signatures are checked when it is installed.
      const { head } = await openApk(file, new Map(), { allowUntrusted: true, source: location });
      if (head.checksum !== p.checksum) {
        throw new UserError(
          `${location}: checksum ${head.checksum || "missing"} does not match the index ` +
            `(${p.checksum})`,
        );
      }
    },
    { signal: opts.signal },
  );
}
