/**
 * What a build records about itself besides the packages: the build file
 * as the SBOMs name it, and melange's packages.log.
 */
import { appendFileSync } from "node:fs";
import type { ConfigFileRef } from "../apk/sbom.ts";
import type { CompiledBuild } from "../config/mod.ts";
import type { BuildOptions } from "./build.ts";
import { repositoryCommit } from "./packaging.ts";

/** The build file as the SBOMs name it: melange's defaults for what is not given. */
export function configRef(opts: BuildOptions): ConfigFileRef {
  if (opts.sbomConfig) return opts.sbomConfig;
  return {
    path: opts.configFile,
    commit: opts.gitCommit ?? repositoryCommit(opts.configFile) ?? "unknown",
    repositoryUrl: opts.gitRepoUrl || "https://unknown/unknown/unknown",
    license: opts.configLicense || "NOASSERTION",
  };
}

/** melange's packages.log: one `arch|origin|name|version` line per package, appended. */
export function appendBuildLog(compiled: CompiledBuild, arch: string, opts: BuildOptions): void {
  const version = `${compiled.package.version}-r${compiled.package.epoch}`;
  const names = [compiled.package.name, ...compiled.subpackages.map((s) => s.name)];
  const origin = (name: string) => opts.stripOriginName ? name : compiled.package.name;
  appendFileSync(
    "packages.log",
    names.map((name) => `${arch}|${origin(name)}|${name}|${version}\n`).join(""),
  );
}
