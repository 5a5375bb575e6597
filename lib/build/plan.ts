/**
 * From a compiled melange file to what a build runs: the environment to
 * install and the steps in order. Plain functions over plain data.
 */
import type { EnvironmentSpec } from "../apk/environment.ts";
import {
  buildsFor,
  compile,
  type CompiledBuild,
  loadConfig,
  type LoadOptions,
} from "../config/mod.ts";
import type { ProgressMode } from "../buildkit/progress.ts";
import type { ConnectOptions } from "../buildkit/address.ts";
import { normalizeArch } from "./arch.ts";
import { baseEnvironment, flattenSteps, mergeEnv, type StepSpec } from "./steps.ts";

/** The user's additions to a file's environment. */
export interface EnvironmentAdditions {
  repositoryAppend?: string[];
  keyringAppend?: string[];
  packageAppend?: string[];
  /** Accept repositories and packages without a valid signature (`--ignore-signatures`). */
  ignoreSignatures?: boolean;
  /** Where fetched indexes and packages are cached (`--apk-cache-dir`). */
  apkCacheDir?: string;
  /** Repositories read without signature checks (the run's own out directory). */
  trustedRepositories?: string[];
}

/** The environment of a compiled file, with the user's repositories and keys appended. */
export function environmentSpec(
  compiled: Pick<CompiledBuild, "environment">,
  arch: string,
  add: EnvironmentAdditions = {},
): EnvironmentSpec {
  const contents = compiled.environment.contents ?? {};
  return {
    repositories: [...(contents.repositories ?? []), ...(add.repositoryAppend ?? [])],
    keyring: [...(contents.keyring ?? []), ...(add.keyringAppend ?? [])],
    packages: [...new Set([...(contents.packages ?? []), ...(add.packageAppend ?? [])])].sort(),
    arch,
    accounts: compiled.environment.accounts,
    ...(add.ignoreSignatures ? { allowUntrusted: true } : {}),
    ...(add.apkCacheDir ? { cacheDir: add.apkCacheDir } : {}),
    ...(add.trustedRepositories?.length ? { trustedRepositories: add.trustedRepositories } : {}),
  };
}

/** The environment every step starts from: melange's defaults, then the file's. */
export function stepBase(
  compiled: Pick<CompiledBuild, "environment">,
  sourceDateEpoch: number,
): Record<string, string> {
  return mergeEnv(baseEnvironment(sourceDateEpoch), compiled.environment.environment);
}

/** Every step of a build: the package's pipeline, then each subpackage's. */
export function buildSteps(compiled: CompiledBuild, sourceDateEpoch: number): StepSpec[] {
  const base = stepBase(compiled, sourceDateEpoch);
  const steps = flattenSteps(compiled.pipeline, base);
  for (const sub of compiled.subpackages) {
    steps.push(...flattenSteps(sub.pipeline ?? [], base, { name: sub.name }));
  }
  return steps;
}

/** What {@link compiledPerArch} needs. */
export interface PerArchOptions extends LoadOptions {
  configFile: string;
  /** `--arch` values; none: the run's default (lib/build/perarch.ts). */
  archs?: string[];
  pipelineDirs?: string[];
  /** melange's `--build-option`: the file's `options:` applied. */
  buildOptions?: string[];
  log?: (line: string) => void;
}

/**
 * Loads the file once and compiles it for each architecture it is built for,
 * in order; an architecture its `target-architecture` leaves out is skipped
 * with a message.
 */
export async function* compiledPerArch(
  opts: PerArchOptions,
): AsyncGenerator<[string, CompiledBuild]> {
  const config = await loadConfig(opts.configFile, {
    varsFile: opts.varsFile,
    envFile: opts.envFile,
  });
  for (const arch of (opts.archs ?? []).map(normalizeArch)) {
    const compiled = await compile(config, {
      arch,
      pipelineDirs: opts.pipelineDirs ?? [],
      buildOptions: opts.buildOptions,
    });
    const targets = compiled.package["target-architecture"];
    if (!buildsFor(targets, arch)) {
      opts.log?.(
        `skipping ${arch}: ${compiled.package.name} is built for ${targets?.join(", ")} only`,
      );
      continue;
    }
    yield [arch, compiled];
  }
}

/** The entitlements a solve of steps run as `privileged` asks for. */
export function entitlementsFor(privileged: boolean | undefined): string[] {
  return privileged ? ["security.insecure"] : [];
}

/** What `build` and `test` both take. */
export interface RunOptions extends PerArchOptions {
  /** Copied into the workspace (default: `<file's dir>/<package>` when it exists). */
  sourceDir?: string;
  /** Where packages go (`build`) or are found (`test`), as `<out>/<arch>/`. */
  outDir: string;
  repositoryAppend?: string[];
  keyringAppend?: string[];
  /** Mounted at /var/cache/melange. */
  cacheDir?: string;
  /** Extra packages for the build environment (`build --package-append`). */
  packageAppend?: string[];
  /** Accept unsigned repositories and packages. */
  ignoreSignatures?: boolean;
  /** Cache of fetched indexes and packages. */
  apkCacheDir?: string;
  /** Repositories read without signature checks (a many-package run's out directory). */
  trustedRepositories?: string[];
  /** Nothing copied into the workspace (`--empty-workspace`). */
  emptyWorkspace?: boolean;
  debug?: boolean;
  /** Run steps privileged (security.insecure) rather than in BuildKit's default sandbox. */
  privileged?: boolean;
  progress?: ProgressMode;
  connect?: ConnectOptions;
  signal?: AbortSignal;
  /** Where `--log-level debug`'s details go (nowhere at other levels). */
  debugLog?: (line: string) => void;
}
