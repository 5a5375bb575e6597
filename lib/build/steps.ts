/**
 * What one pipeline step runs: the shell script with melange's preamble, its
 * working directory and its environment. Pure functions over plain data; the
 * LLB graph (graph.ts) turns each step into an exec op.
 */
import { isAbsolute, join } from "node:path";

/** The workspace every build runs in, as in melange. */
export const WORKSPACE = "/home/build";

/** Where packages' contents are collected: one directory per (sub)package. */
export const OUTDIR = `${WORKSPACE}/melange-out`;

/** PATH inside the build environment. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A pipeline step reduced to what the executor needs. */
export interface StepSpec {
  /** Name shown in progress and errors. */
  name: string;
  /** The script (already substituted). */
  runs: string;
  /** Working directory, absolute or relative to the workspace. */
  workingDirectory?: string;
  /** Environment of this step (inherited values already merged). */
  environment: Record<string, string>;
}

/** The absolute working directory of a step. */
export function workdirOf(dir: string | undefined): string {
  if (!dir) return WORKSPACE;
  return isAbsolute(dir) ? dir : join(WORKSPACE, dir);
}

/** Quotes a string for POSIX sh with single quotes. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script an exec op runs: `set -e` (with `x` under --debug), enter the
 * working directory (creating it), the step's own lines, then `exit 0`, as
 * melange runs every step.
 */
export function stepScript(runs: string, workdir: string, debug = false): string {
  const dir = shellQuote(workdir);
  return [
    debug ? "set -ex" : "set -e",
    `[ -d ${dir} ] || mkdir -p ${dir}`,
    `cd ${dir}`,
    runs.replace(/\n+$/, ""),
    "exit 0",
  ].join("\n");
}

/** Merges environments left to right; later values win. */
export function mergeEnv(...envs: (Record<string, string> | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const env of envs) Object.assign(out, env ?? {});
  return out;
}

/** The environment as sorted KEY=VALUE strings (LLB wants a stable order). */
export function envList(env: Record<string, string>): string[] {
  return Object.keys(env).sort().map((k) => `${k}=${env[k]}`);
}

/** The environment every step starts from, before the file's own. */
export function baseEnvironment(sourceDateEpoch: number): Record<string, string> {
  return {
    HOME: WORKSPACE,
    PATH: DEFAULT_PATH,
    SOURCE_DATE_EPOCH: String(sourceDateEpoch),
    GOPATH: `${WORKSPACE}/go`,
    GOMODCACHE: `${WORKSPACE}/go/pkg/mod`,
    GOCACHE: `${WORKSPACE}/.cache/go-build`,
    PIP_CACHE_DIR: `${WORKSPACE}/.cache/pip`,
    NPM_CONFIG_CACHE: `${WORKSPACE}/.npm`,
    CARGO_HOME: `${WORKSPACE}/.cargo`,
    CCACHE_DIR: `${WORKSPACE}/.ccache`,
  };
}

/** A persistent cache mount: BuildKit keeps its contents between builds. */
export interface CacheMountSpec {
  id: string;
  target: string;
  sharing: "shared" | "private" | "locked";
}

/** The default cache mounts for the common toolchains (all shared). */
export const DEFAULT_CACHE_MOUNTS: readonly CacheMountSpec[] = [
  { id: "melange-go-mod-cache", target: `${WORKSPACE}/go/pkg/mod`, sharing: "shared" },
  { id: "melange-go-build-cache", target: `${WORKSPACE}/.cache/go-build`, sharing: "shared" },
  { id: "melange-pip-cache", target: `${WORKSPACE}/.cache/pip`, sharing: "shared" },
  { id: "melange-npm-cache", target: `${WORKSPACE}/.npm`, sharing: "shared" },
  { id: "melange-cargo-registry", target: `${WORKSPACE}/.cargo/registry`, sharing: "shared" },
  { id: "melange-cargo-git", target: `${WORKSPACE}/.cargo/git`, sharing: "shared" },
  { id: "melange-ccache", target: `${WORKSPACE}/.ccache`, sharing: "shared" },
];

/** A compiled pipeline step: substituted, conditions decided, `uses:` expanded. */
export interface PipelineStep {
  name?: string;
  uses?: string;
  runs?: string;
  workingDirectory?: string;
  environment?: Record<string, string>;
  pipeline?: PipelineStep[];
}

/**
 * Turns a pipeline tree into the steps that run, depth first: a step's own
 * `runs` comes before its nested pipeline, as in melange. Nested steps
 * inherit their parent's working directory and environment; `base` is the
 * environment every step starts from.
 */
export function flattenSteps(
  steps: PipelineStep[],
  base: Record<string, string>,
  parent?: { name: string; workingDirectory?: string },
): StepSpec[] {
  const out: StepSpec[] = [];
  // A pipeline's one unnamed step is shown under the pipeline's name alone.
  const alone = steps.filter((s) => s.runs?.trim() || s.pipeline?.length).length === 1;
  for (const step of steps) {
    const environment = mergeEnv(base, step.environment);
    const workingDirectory = step.workingDirectory ?? parent?.workingDirectory;
    const name = stepName(step, alone ? undefined : parent?.name, alone ? parent?.name : undefined);
    if (step.runs?.trim()) out.push({ name, runs: step.runs, workingDirectory, environment });
    if (step.pipeline?.length) {
      out.push(...flattenSteps(step.pipeline, environment, { name, workingDirectory }));
    }
  }
  return out;
}

/**
 * A step's name for progress and errors: its own, `uses: PIPELINE`, or its
 * first line, after its pipeline's name (or the pipeline's name alone).
 */
function stepName(step: PipelineStep, parent?: string, instead?: string): string {
  if (step.name) return step.name;
  if (instead) return instead;
  const own = step.uses
    ? `uses: ${step.uses}`
    : step.runs?.split("\n").map((l) => l.trim()).find((l) => l && !l.startsWith("#"))
      ?.slice(0, 60) ?? "step";
  return parent ? `${parent}: ${own}` : own;
}
