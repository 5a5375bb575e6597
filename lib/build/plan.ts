/**
 * From a compiled melange file to what a build runs: the environment to
 * install and the steps in order. Plain functions over plain data.
 */
import type { EnvironmentSpec } from "../apk/environment.ts";
import type { CompiledBuild } from "../config/mod.ts";
import { baseEnvironment, flattenSteps, mergeEnv, type StepSpec } from "./steps.ts";

/** The user's additions to a file's environment. */
export interface EnvironmentAdditions {
  repositoryAppend?: string[];
  keyringAppend?: string[];
  packageAppend?: string[];
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
