/**
 * melange's versioned shared-library dependencies (pkg/sca determineShlibVersion),
 * behind its feature flag `MELANGE_VERSIONED_SHLIB_DEPENDS`: for each `so:` a
 * package needs, the version of the build-environment package that provides
 * the library becomes a `so-ver:<lib>>=<version>` dependency. The context is
 * plain data (it crosses to the packaging workers); it is only built when the
 * flag is set.
 */
import { UserError } from "../errors.ts";
import type { PackageUniverse } from "./resolve.ts";
import { compareVersions } from "./version.ts";

/** The variable melange reads; any non-empty value turns the feature on. */
export const VERSIONED_SHLIB_DEPENDS = "MELANGE_VERSIONED_SHLIB_DEPENDS";

/** The marker melange gives the packages being built in its installed map. */
const CURRENT = "@CURRENT@";

/** A package of the indexes that provides a `so:` name. */
export interface ShlibCandidate {
  name: string;
  version: string;
  provides: string[];
}

/** What the decision needs about the build's environment and indexes. */
export interface ShlibContext {
  /** melange's InstalledPackages: environment package name → version, `@CURRENT@` for those built. */
  installed: Record<string, string>;
  /**
   * For each `so:` name some index package provides: its providers that are
   * installed (or being built), newest build first. Providers that are not
   * installed are left out: melange skips them.
   */
  providers: Record<string, ShlibCandidate[]>;
}

/** Whether `MELANGE_VERSIONED_SHLIB_DEPENDS` is set to something (melange tests `!= ""`). */
export function versionedShlibDependsEnabled(
  value = Deno.env.get(VERSIONED_SHLIB_DEPENDS),
): boolean {
  return (value ?? "") !== "";
}

/**
 * The context for a build: `universe` is the build's indexes, `environment`
 * the packages installed into its environment, `building` the names of the
 * package and its subpackages.
 */
export function shlibContext(
  u: PackageUniverse,
  environment: { name: string; version: string }[],
  building: string[],
): ShlibContext {
  const installed: Record<string, string> = {};
  for (const p of environment) installed[p.name] = p.version;
  for (const name of building) installed[name] = CURRENT;
  const providers: Record<string, ShlibCandidate[]> = {};
  for (const [name, list] of u.providers) {
    if (!name.startsWith("so:")) continue;
    // melange sorts every provider by build time, newest first (ties keep index order here).
    const sorted = [...list].sort((a, b) => (b.pkg.buildTime ?? 0) - (a.pkg.buildTime ?? 0));
    providers[name] = sorted.filter(({ pkg }) => pkg.name in installed).map(({ pkg }) => ({
      name: pkg.name,
      version: pkg.version,
      provides: pkg.provides,
    }));
  }
  return { installed, providers };
}

// apko's ParseVersion accepts exactly what this matches.
const APKO_VERSION =
  /^([0-9]+)((\.[0-9]+)*)([a-z]?)((_alpha|_beta|_pre|_rc)([0-9]*))?((_cvs|_svn|_git|_hg|_p)([0-9]*))?((-r)([0-9]+))?$/;

function parseable(version: string, what: string): void {
  if (!APKO_VERSION.test(version)) {
    throw new UserError(`invalid version ${version} of ${what}, could not parse`);
  }
}

/**
 * The version `lib` (a needed soname) is versioned with for a package at
 * `version`, or "" for none: melange's determineShlibVersion, step by step.
 */
export function shlibVersion(ctx: ShlibContext, lib: string, version: string): string {
  // glibc's loader is never versioned: every package would need a rebuild with glibc.
  if (lib.startsWith("ld-linux-x86-64.so") || lib.startsWith("ld-linux-aarch64.so")) return "";
  const candidates = ctx.providers[`so:${lib}`];
  // Nothing in the indexes provides it: a library new in this build (melange's "nothing provides").
  if (!candidates) return version;
  for (const c of candidates) {
    const installed = ctx.installed[c.name];
    if (installed === CURRENT) return version;
    parseable(c.version, c.name);
    parseable(installed, c.name);
    if (compareVersions(c.version, installed) < 0) {
      throw new UserError(
        `could not find suitable package providing library so-ver:${lib}>=${installed} ` +
          `(found so-ver:${lib}=${c.version} instead)`,
      );
    }
    // melange means "the provider versions the library" but its test is inverted
    // (`return err != nil`): it matches only a so-ver provide whose version does NOT parse.
    const versioned = c.provides.some((p) => {
      const eq = p.indexOf("=");
      return eq >= 0 && p.slice(0, eq) === `so-ver:${lib}` && !APKO_VERSION.test(p.slice(eq + 1));
    });
    return versioned ? installed : "";
  }
  return "";
}
