/**
 * The last stage of a build: the exported melange-out trees become APK
 * packages (analyzed, with SBOMs, signed) in `<out>/<arch>/`, and the
 * directory's signed APKINDEX.tar.gz is brought up to date under the
 * directory's lock (lib/apk/outdir.ts). Nothing is written, and no
 * directory made, until every package is made, so a failure leaves the out
 * directory as it was.
 */
import { basename, dirname, join, resolve, sep } from "node:path";
import { YAML } from "../yamlmod.ts";
import { type PackageSpec, writePackages } from "../apk/package.ts";
import type { ConfigFileRef } from "../apk/sbom.ts";
import { writeAttestations } from "./provenance.ts";
import { writeDependencyLog } from "./deplog.ts";
import { addToRepository, packageFileName } from "../apk/outdir.ts";
import { accountNames, effectiveAccounts } from "../apk/accounts.ts";
import type { EntryMetadata, OwnerRemap } from "../apk/tree.ts";
import { permOf } from "../buildkit/fsmode.ts";
import type { Stat } from "../buildkit/packet.ts";
import type { PkgInfo } from "../apk/pkginfo.ts";
import type { CompiledBuild } from "../config/mod.ts";
import { textProblem } from "../config/validate.ts";
import { readRegularFile } from "../readfile.ts";
import { outDirError } from "./outdir.ts";
import { UserError } from "../errors.ts";
import type { ShlibContext } from "../apk/shlibver.ts";

const { stringify } = YAML;

/** Options of {@link packageOutputs}. */
export interface PackagingOptions {
  /** `<out>/<arch>`. */
  archDir: string;
  /** `--out-dir` as the user gave it, for messages. */
  outDir?: string;
  /** Private key file (PEM); packages and index are unsigned without one. */
  signingKey?: string;
  sourceDateEpoch: number;
  signal?: AbortSignal;
  /** Progress lines (waiting for another build's lock). */
  log?: (line: string) => void;
  /** melange's `--namespace` (purl namespace, `maintainer`). */
  namespace?: string;
  /** The build file, whose repository's commit packages record when the file names none. */
  configFile?: string;
  /**
   * Every exported entry's stat as BuildKit sent it, by path under `staging`:
   * owners, modes and xattrs come from here, never from what this process
   * could apply to its own disk (a build as any user gives the same bytes).
   */
  exported?: Map<string, Stat>;
  /** The build environment, whose `etc/passwd` and `etc/group` name the owners (as melange). */
  environmentRoot?: string;
  /** Update the directory's index (default true). */
  generateIndex?: boolean;
  /** Each package its own `origin` in .PKGINFO (melange's --strip-origin-name). */
  stripOriginName?: boolean;
  /** The packages' commit where the file sets none (melange's --git-commit). */
  commit?: string;
  /** The build file as the SBOMs name it (melange's build configuration package). */
  config?: ConfigFileRef;
  /** melange's --dependency-log: the base name of `<log>.<arch>`. */
  dependencyLog?: string;
  /** melange's --generate-provenance: write `<name>-<version>.attest.tar.gz` beside each APK. */
  provenance?: { started: Date; builderVersion: string };
  /** Versioned shlib dependencies, when `MELANGE_VERSIONED_SHLIB_DEPENDS` is set. */
  shlibs?: ShlibContext;
}

/** The entries under `<name>/` of an export, by their path inside it. */
function metadataUnder(exported: Map<string, Stat>, name: string): Map<string, EntryMetadata> {
  const out = new Map<string, EntryMetadata>();
  const prefix = `${name}/`;
  for (const [path, stat] of exported) {
    if (!path.startsWith(prefix)) continue;
    out.set(path.slice(prefix.length), {
      uid: stat.uid ?? 0,
      gid: stat.gid ?? 0,
      mode: permOf(stat.mode),
      xattrs: stat.xattrs,
    });
  }
  return out;
}

/**
 * melange packages what its build user and group own as root's: the
 * environment's `build` user (1000:1000 when the file names no users).
 */
export function buildUserRemap(compiled: CompiledBuild): OwnerRemap {
  const { users, groups } = effectiveAccounts(compiled.environment.accounts);
  const remap: OwnerRemap = { uids: {}, gids: {} };
  const user = users.find((u) => u.username === "build");
  const group = groups.find((g) => g.groupname === "build");
  if (user) remap.uids![user.uid ?? 1000] = 0;
  if (group) remap.gids![group.gid ?? 1000] = 0;
  return remap;
}

export { packageFileName };

/** Packages every output of `compiled` from `staging` and updates the index; returns the files. */
export async function packageOutputs(
  staging: string,
  compiled: CompiledBuild,
  arch: string,
  opts: PackagingOptions,
): Promise<string[]> {
  const key = opts.signingKey ? signingKeyOf(opts.signingKey) : undefined;
  const items = packageSpecs(compiled, arch, {
    namespace: opts.namespace,
    commit: opts.commit ?? (opts.configFile ? repositoryCommit(opts.configFile) : undefined),
    config: opts.config,
  }).map((spec) => ({
    dir: childPath(staging, spec.name),
    // melange's bootstrap builds: each package is its own origin.
    spec: { ...spec, ...(opts.stripOriginName ? { origin: spec.name } : {}), shlibs: opts.shlibs },
    metadata: opts.exported ? metadataUnder(opts.exported, spec.name) : undefined,
  }));
  const made = await writePackages(items, {
    sourceDateEpoch: opts.sourceDateEpoch,
    signingKey: key,
    remap: buildUserRemap(compiled),
    names: opts.environmentRoot ? accountNames(opts.environmentRoot) : undefined,
  });
  if (opts.signal?.aborted) throw new UserError("build cancelled", { exitCode: 130 });
  for (const m of made) checkMetadata(m.pkginfo);

  try {
    const files = await addToRepository(opts.archDir, made, {
      signingKey: key,
      signal: opts.signal,
      log: opts.log,
      index: opts.generateIndex,
    });
    if (opts.provenance) {
      await writeAttestations(made, compiled, opts.archDir, opts.provenance, {
        sourceDateEpoch: opts.sourceDateEpoch,
        signingKey: key,
        log: opts.log,
      });
    }
    if (opts.dependencyLog) writeDependencyLog(made, `${opts.dependencyLog}.${arch}`);
    return files;
  } catch (err) {
    throw outDirError(err, opts.outDir ?? opts.archDir, "writing", opts.archDir);
  }
}

/**
 * `dir/name`, refusing any name that is not one plain path component: the
 * last guard between a name from a build file and a host path (names are
 * validated when the file is compiled, so this never fires for those).
 */
export function childPath(dir: string, name: string): string {
  const path = join(dir, name);
  const parent = resolve(dir);
  if (
    name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0") ||
    !resolve(path).startsWith(parent + sep)
  ) {
    throw new UserError(`refusing to write ${JSON.stringify(name)}: not a file name inside ${dir}`);
  }
  return path;
}

/**
 * Every `.PKGINFO` field, including the dependencies the analysis found in
 * the built files (a command named with a space or a line break would
 * otherwise add fields of its own), is one line without control characters;
 * list items hold no spaces, as they are joined by spaces in the index.
 * Licenses are no such list: each is a line of its own, and an SPDX
 * expression has spaces (`GPL-2.0-only WITH Classpath-exception-2.0`).
 */
function checkMetadata(p: PkgInfo): void {
  const where = `packaging ${p.pkgname}-${p.pkgver}`;
  for (const [field, value] of Object.entries(p)) {
    const items = Array.isArray(value) ? value : [value];
    const spaced = Array.isArray(value) && field !== "licenses";
    for (const item of items) {
      if (typeof item !== "string") continue;
      const bad = textProblem(item) ??
        (spaced && /\s/.test(item) ? `"${item}" contains a space` : undefined);
      if (bad) throw new UserError(`${where}: ${field}: ${bad}`);
    }
  }
}

/** What the build adds to every package's spec. */
export interface SpecContext {
  /** The build file as the SBOMs name it. */
  config?: ConfigFileRef;
  /** melange's `--namespace`: the SBOM's purl namespace and `.PKGINFO`'s `maintainer`. */
  namespace?: string;
  /** The commit of the build file's repository, for packages whose file names none. */
  commit?: string;
}

/**
 * A description as one metadata line: a YAML block scalar (`description: |`)
 * ends in a line break, which melange copies into .PKGINFO as an empty line;
 * it is dropped here (compile allows line breaks only at the end).
 */
function oneLine(text: string | undefined): string | undefined {
  return text?.replace(/[\r\n]+$/, "");
}

/**
 * The spec of the package and of each subpackage, as melange fills them:
 * subpackages share the version, the licenses and (unless they name their
 * own) the commit; their description and url are their own.
 */
export function packageSpecs(
  compiled: CompiledBuild,
  arch: string,
  context: SpecContext = {},
): PackageSpec[] {
  const pkg = compiled.package;
  const licenses = licensesOf(pkg.copyright);
  const melangeYaml = configYaml(compiled);
  const common = {
    version: `${pkg.version}-r${pkg.epoch}`,
    epoch: Number(pkg.epoch),
    arch,
    commit: pkg.commit ?? context.commit,
    license: licenses.length ? licenses.join(" AND ") : undefined,
    licenses,
    origin: pkg.name,
    namespace: context.namespace,
    melangeYaml,
    config: context.config,
  };
  return [
    {
      ...common,
      name: pkg.name,
      description: oneLine(pkg.description),
      url: pkg.url,
      dependencies: dependenciesOf(pkg.dependencies),
      options: optionsOf(pkg.options),
      scriptlets: pkg.scriptlets,
    },
    ...compiled.subpackages.map((sub) => {
      const own = sub.copyright?.length ? licensesOf(sub.copyright) : undefined;
      return {
        ...common,
        name: sub.name,
        description: oneLine(sub.description),
        url: sub.url,
        dependencies: dependenciesOf(sub.dependencies),
        options: optionsOf(sub.options),
        scriptlets: sub.scriptlets,
        commit: sub.commit ?? common.commit,
        ...(own ? { licenses: own, license: own.length ? own.join(" AND ") : undefined } : {}),
      };
    }),
  ];
}

/** The licenses of `copyright`, one per entry that names one. */
function licensesOf(copyright: { license?: string }[] | undefined): string[] {
  return (copyright ?? []).map((c) => c.license).filter((l): l is string => !!l);
}

/**
 * The compiled configuration as YAML (2-space indents), which melange keeps
 * as `.melange.yaml` in every package's control member: its sections in
 * melange's order, pipelines as compiled (`uses:` expanded, substituted).
 */
export function configYaml(compiled: CompiledBuild): string {
  const c = compiled as unknown as Record<string, unknown>;
  const doc: Record<string, unknown> = {};
  for (const key of ORDER) {
    if (c[key] !== undefined) doc[key] = c[key];
  }
  return stringify(yamlKeys(doc), { indent: 2, lineWidth: 0 });
}

/** Top-level sections in the order of melange's Configuration. */
const ORDER = [
  "package",
  "environment",
  "capabilities",
  "pipeline",
  "subpackages",
  "data",
  "update",
  "vars",
  "var-transforms",
  "options",
  "test",
];

/**
 * The compiled form's camelCase step keys as the YAML names them; empty
 * maps and lists left out, as melange's `omitempty` fields are.
 */
function yamlKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(yamlKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const value = yamlKeys(x);
      const empty = value && typeof value === "object" && Object.keys(value).length === 0;
      if (value !== undefined && !empty) {
        out[k === "workingDirectory" ? "working-directory" : k] = value;
      }
    }
    return out;
  }
  return v;
}

/**
 * The commit of the git repository holding `file` (HEAD), as melange
 * records it for packages whose file names no commit; undefined outside a
 * repository or without git. Any user may read it (safe.directory).
 */
export function repositoryCommit(file: string): string | undefined {
  try {
    const out = new Deno.Command("git", {
      args: ["-c", "safe.directory=*", "-C", dirname(resolve(file)), "rev-parse", "HEAD"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const hash = new TextDecoder().decode(out.stdout).trim();
    return out.success && /^[0-9a-f]{40,64}$/.test(hash) ? hash : undefined;
  } catch {
    return undefined; // no git
  }
}

function dependenciesOf(d: any): PackageSpec["dependencies"] {
  return {
    runtime: d?.runtime ?? [],
    provides: d?.provides ?? [],
    replaces: d?.replaces ?? [],
    providerPriority: d?.providerPriority ?? d?.["provider-priority"],
    replacesPriority: d?.replacesPriority ?? d?.["replaces-priority"],
  };
}

function optionsOf(o: any): PackageSpec["options"] {
  return {
    noProvides: o?.noProvides ?? o?.["no-provides"] ?? false,
    noDepends: o?.noDepends ?? o?.["no-depends"] ?? false,
    noCommands: o?.noCommands ?? o?.["no-commands"] ?? false,
    noVersionedShlibDeps: o?.noVersionedShlibDeps ?? o?.["no-versioned-shlib-deps"] ?? false,
  };
}

function signingKeyOf(path: string): { name: string; pem: string } {
  // A regular file of at most 1 MiB; errors name the flag and the path.
  const pem = new TextDecoder().decode(readRegularFile(path, "--signing-key ", 1 << 20));
  return { name: basename(path), pem };
}
