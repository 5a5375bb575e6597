/**
 * The build environment of a build: resolve the file's `environment.contents`
 * (plus the user's appended repositories and keys) and install the closure
 * into a directory kept by content digest, so the same environment is
 * unpacked once and BuildKit sees the same directory (and sends nothing new)
 * on every later build.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  environmentDigest,
  type EnvironmentSpec,
  installEnvironment,
  resolveEnvironment,
} from "../apk/environment.ts";
import { type ShlibContext, shlibContext, versionedShlibDependsEnabled } from "../apk/shlibver.ts";
import { cacheDir } from "../buildkit/identity.ts";
import { withContext } from "../errors.ts";

/** A prepared environment. */
export interface PreparedEnvironment {
  /** The root file system, ready to send as a local source. */
  root: string;
  /** Content digest of the environment (`sha256:...`). */
  digest: string;
  /** `name-version` of each installed package, in install order. */
  packages: string[];
  /**
   * Versioned shlib dependencies for the packages named by `prepareEnvironment`'s
   * `building`, when `MELANGE_VERSIONED_SHLIB_DEPENDS` is set (else undefined).
   */
  shlibs?: ShlibContext;
}

/** Where prepared environments are kept. */
export function environmentsDir(): string {
  return join(cacheDir(), "environments");
}

/**
 * Resolves and (unless already there) installs the environment `spec` describes;
 * `building` names the packages a build makes in it.
 */
export async function prepareEnvironment(
  spec: EnvironmentSpec,
  log: (line: string) => void = () => {},
  building?: string[],
): Promise<PreparedEnvironment> {
  const resolved = await resolveEnvironment(spec);
  // Built here, while the indexes are at hand, only when melange's variable asks for it.
  const shlibs = building && versionedShlibDependsEnabled()
    ? shlibContext(resolved.universe, resolved.packages, building)
    : undefined;
  const digest = environmentDigest(resolved, spec);
  const packages = resolved.packages.map((p) => `${p.name}-${p.version}`);
  const root = join(environmentsDir(), digest.replace(/^sha256:/, ""));
  if (existsSync(root)) return { root, digest, packages, shlibs };
  log(`installing ${packages.length} packages into the build environment`);
  mkdirSync(environmentsDir(), { recursive: true });
  const tmp = `${root}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await installEnvironment(resolved, tmp, spec);
    // Another build may have finished the same environment meanwhile: keep theirs.
    if (existsSync(root)) rmSync(tmp, { recursive: true, force: true });
    else renameSync(tmp, root);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw withContext(`installing the build environment (${spec.arch})`, err);
  }
  return { root, digest, packages, shlibs };
}
