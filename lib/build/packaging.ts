/**
 * The last stage of a build: the exported melange-out trees become APK
 * packages (analyzed, with SBOMs, signed) in `<out>/<arch>/`, and the
 * directory's signed APKINDEX.tar.gz is brought up to date. Nothing is
 * written until every package is made, so a failure leaves the out
 * directory as it was.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type PackageSpec, writePackages } from "../apk/package.ts";
import { type ApkPackage, readIndexArchive, writeIndexArchive } from "../apk/index.ts";
import type { CompiledBuild } from "../config/mod.ts";
import { UserError } from "../errors.ts";

/** Options of {@link packageOutputs}. */
export interface PackagingOptions {
  /** `<out>/<arch>`. */
  archDir: string;
  /** Private key file (PEM); packages and index are unsigned without one. */
  signingKey?: string;
  sourceDateEpoch: number;
  signal?: AbortSignal;
  /** Package URL namespace of the SBOMs. */
  namespace?: string;
  /** Update the directory's index (default true). */
  generateIndex?: boolean;
  /** Each package its own `origin` in .PKGINFO (melange's --strip-origin-name). */
  stripOriginName?: boolean;
  /** The packages' commit where the file sets none. */
  commit?: string;
}

/** The file name of a package, as apk-tools and melange name it. */
export function packageFileName(p: { name: string; version: string }): string {
  return `${p.name}-${p.version}.apk`;
}

/** Packages every output of `compiled` from `staging` and updates the index; returns the files. */
export async function packageOutputs(
  staging: string,
  compiled: CompiledBuild,
  arch: string,
  opts: PackagingOptions,
): Promise<string[]> {
  const key = opts.signingKey ? signingKeyOf(opts.signingKey) : undefined;
  const items = packageSpecs(compiled, arch).map((spec) => ({
    dir: join(staging, spec.name),
    spec: {
      ...spec,
      namespace: opts.namespace,
      // melange's bootstrap builds: each package is its own origin.
      origin: opts.stripOriginName ? spec.name : spec.origin,
      commit: spec.commit || opts.commit,
    },
  }));
  const made = await writePackages(items, {
    sourceDateEpoch: opts.sourceDateEpoch,
    signingKey: key,
  });
  if (opts.signal?.aborted) throw new UserError("build cancelled", { exitCode: 130 });

  const files = made.map((m) => join(opts.archDir, packageFileName(m.info)));
  const pending: [string, Uint8Array][] = made.map((m, i) => [files[i], m.bytes]);
  if (opts.generateIndex !== false) {
    const index = await updatedIndex(opts.archDir, made.map((m) => m.info), key);
    pending.push([join(opts.archDir, "APKINDEX.tar.gz"), index]);
  }
  const tmps = pending.map(([file]) => `${file}.tmp-${crypto.randomUUID().slice(0, 8)}`);
  try {
    pending.forEach(([, bytes], i) => writeFileSync(tmps[i], bytes));
    pending.forEach(([file], i) => renameSync(tmps[i], file));
  } finally {
    for (const t of tmps) rmSync(t, { force: true });
  }
  return files;
}

/** The spec of the package and of each subpackage (which inherit version, license, url). */
export function packageSpecs(compiled: CompiledBuild, arch: string): PackageSpec[] {
  const pkg = compiled.package;
  const license = licenseOf(pkg.copyright);
  const common = {
    version: `${pkg.version}-r${pkg.epoch}`,
    epoch: Number(pkg.epoch),
    arch,
    url: pkg.url,
    commit: pkg.commit,
    license,
    origin: pkg.name,
  };
  return [
    {
      ...common,
      name: pkg.name,
      description: pkg.description,
      dependencies: dependenciesOf(pkg.dependencies),
      options: optionsOf(pkg.options),
      scriptlets: pkg.scriptlets,
    },
    ...compiled.subpackages.map((sub) => ({
      ...common,
      name: sub.name,
      description: sub.description ?? pkg.description,
      dependencies: dependenciesOf(sub.dependencies),
      options: optionsOf(sub.options),
      scriptlets: sub.scriptlets,
      url: sub.url ?? pkg.url,
      commit: sub.commit ?? pkg.commit,
      license: sub.copyright?.length ? licenseOf(sub.copyright) : license,
    })),
  ];
}

/** melange joins the licenses of `copyright` with AND. */
function licenseOf(copyright: { license?: string }[] | undefined): string | undefined {
  const licenses = (copyright ?? []).map((c) => c.license).filter((l): l is string => !!l);
  return licenses.length ? licenses.join(" AND ") : undefined;
}

function dependenciesOf(d: any): PackageSpec["dependencies"] {
  return {
    runtime: d?.runtime ?? [],
    provides: d?.provides ?? [],
    replaces: d?.replaces ?? [],
    providerPriority: d?.providerPriority ?? d?.["provider-priority"],
  };
}

function optionsOf(o: any): PackageSpec["options"] {
  return {
    noProvides: o?.noProvides ?? o?.["no-provides"] ?? false,
    noDepends: o?.noDepends ?? o?.["no-depends"] ?? false,
    noCommands: o?.noCommands ?? o?.["no-commands"] ?? false,
  };
}

function signingKeyOf(path: string): { name: string; pem: string } {
  try {
    return { name: basename(path), pem: readFileSync(path, "utf8") };
  } catch (err) {
    throw new UserError(`--signing-key ${path}: ${(err as Error).message}`);
  }
}

/** The directory's index with these packages added (replacing older builds of the same name). */
async function updatedIndex(
  archDir: string,
  built: ApkPackage[],
  key: { name: string; pem: string } | undefined,
): Promise<Uint8Array> {
  const file = join(archDir, "APKINDEX.tar.gz");
  const names = new Set(built.map((p) => p.name));
  let kept: ApkPackage[] = [];
  if (existsSync(file)) {
    // Our own output directory: entries are kept only while their files are there.
    const old = await readIndexArchive(readFileSync(file), { keys: new Map() }, {
      allowUntrusted: true,
      source: file,
    });
    kept = old.filter((p) => !names.has(p.name) && existsSync(join(archDir, packageFileName(p))));
  }
  const all = [...kept, ...built].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1
  );
  return await writeIndexArchive(all, { signingKey: key });
}
