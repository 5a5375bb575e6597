/**
 * The last stage of a build: the exported melange-out trees become APK
 * packages (analyzed, with SBOMs, signed) in `<out>/<arch>/`, and the
 * directory's signed APKINDEX.tar.gz is brought up to date under the
 * directory's lock (lib/apk/outdir.ts). Nothing is written, and no
 * directory made, until every package is made, so a failure leaves the out
 * directory as it was.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type PackageSpec, writePackages } from "../apk/package.ts";
import { addToRepository, packageFileName } from "../apk/outdir.ts";
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
  /** Progress lines (waiting for another build's lock). */
  log?: (line: string) => void;
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
  const items = packageSpecs(compiled, arch).map((spec) => ({
    dir: join(staging, spec.name),
    spec,
  }));
  const made = await writePackages(items, {
    sourceDateEpoch: opts.sourceDateEpoch,
    signingKey: key,
  });
  if (opts.signal?.aborted) throw new UserError("build cancelled", { exitCode: 130 });

  return await addToRepository(opts.archDir, made, {
    signingKey: key,
    signal: opts.signal,
    log: opts.log,
  });
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
