/**
 * The LLB graph of a melange build, in the shape the seed describes: the
 * build environment (a local source) copied onto scratch, the workspace with
 * the source directory copied in, one exec op per pipeline step, and finally
 * only `melange-out` on scratch, which is what the client exports.
 */
import { local, type MountSpec, scratch, type State } from "../llb/mod.ts";
import type { LocalOptions } from "../llb/source.ts";
import {
  type CacheMountSpec,
  DEFAULT_CACHE_MOUNTS,
  OUTDIR,
  stepScript,
  type StepSpec,
  workdirOf,
  WORKSPACE,
} from "./steps.ts";

/** Names of the local sources a build graph reads; the solve maps them to directories. */
export const LOCAL_NAMES = {
  environment: "melange-environment",
  source: "melange-source",
  cache: "melange-cache",
} as const;

/** Where `--cache-dir` is mounted, as in melange. */
export const CACHE_DIR_TARGET = "/var/cache/melange";

/** What the graph is made of. */
export interface GraphInput {
  /** Every step in execution order (the package's, then each subpackage's). */
  steps: StepSpec[];
  /** Package and subpackage names: each gets its `melange-out/<name>` directory. */
  packages: string[];
  /** The user steps run as (melange's `accounts.run-as`); root when unset. */
  user?: string;
  /** `set -x` in every step. */
  debug?: boolean;
  /**
   * Steps run privileged (BuildKit's security.insecure: every capability,
   * the host's devices) instead of in BuildKit's default sandbox.
   */
  privileged?: boolean;
  /** Whether the graph reads a source directory (`--source-dir`). */
  withSource?: boolean;
  /** Whether `--cache-dir` is mounted at {@link CACHE_DIR_TARGET}. */
  withCacheDir?: boolean;
  /** Cache mounts; the toolchains' defaults when not given. */
  cacheMounts?: readonly CacheMountSpec[];
  /** Stable shared-key hint of the local sources, so BuildKit reuses earlier transfers. */
  sharedKeyHint?: string;
  /** Adds a constant to the cache keys: builds in different namespaces never share steps. */
  namespace?: string;
  /** `local.unique` of each local source: stable per directory, so BuildKit sends only changes. */
  localIds?: { environment?: string; source?: string; cache?: string };
  /** Exclude patterns of the source directory (its .melangeignore). */
  sourceExclude?: string[];
}

/** The graph's states: what to export, and the state before each step for debugging. */
export interface BuildGraph {
  /** `melange-out`'s contents on scratch. */
  result: State;
  /** The workspace as it was before step i ran. */
  before: State[];
  /** The workspace right after step i ran (its exec's root). */
  after: State[];
}

/** Builds the graph of a melange build. */
export function buildGraph(input: GraphInput): BuildGraph {
  let state = workspace(input);
  const mounts = stepMounts(input);
  const before: State[] = [];
  const after: State[] = [];
  for (const step of input.steps) {
    before.push(state);
    state = runStep(state, step, input, mounts);
    after.push(state);
  }
  const result = scratch().copy(state, `${OUTDIR}/`, "/", {
    copyDirContentsOnly: true,
    customName: "export melange-out",
  });
  return { result, before, after };
}

/** The environment with the workspace, its output directories and the sources in place. */
function workspace(input: GraphInput): State {
  const env = local(LOCAL_NAMES.environment, localOptions(input, "environment"));
  let state = scratch().copy(env, "/", "/", {
    copyDirContentsOnly: true,
    customName: "copy build environment",
  });
  state = state.mkdir(WORKSPACE, 0o755, { parents: true, customName: "create workspace" });
  for (const name of [...input.packages].sort()) {
    state = state.mkdir(`${OUTDIR}/${name}`, 0o755, {
      parents: true,
      customName: `create melange-out/${name}`,
    });
  }
  if (input.withSource) {
    const src = local(LOCAL_NAMES.source, localOptions(input, "source"));
    state = state.copy(src, "/", `${WORKSPACE}/`, {
      copyDirContentsOnly: true,
      createDestPath: true,
      customName: "copy source",
    });
  }
  return state.dir(WORKSPACE).user(input.user ?? "root");
}

/** Mounts every step has: the caches, and `--cache-dir`. */
function stepMounts(input: GraphInput): MountSpec[] {
  const mounts: MountSpec[] = (input.cacheMounts ?? DEFAULT_CACHE_MOUNTS).map((m) => ({
    type: "cache",
    target: m.target,
    id: input.namespace ? `${input.namespace}/${m.id}` : m.id,
    sharing: m.sharing,
  }));
  if (input.withCacheDir) {
    // Writable but discarded: BuildKit cannot write back to the host, and
    // melange's steps may create files in the cache directory.
    mounts.push({
      type: "bind",
      target: CACHE_DIR_TARGET,
      source: local(LOCAL_NAMES.cache, localOptions(input, "cache")),
    });
  }
  return mounts;
}

function localOptions(input: GraphInput, which: keyof typeof LOCAL_NAMES): LocalOptions {
  const opts: LocalOptions = {};
  if (input.sharedKeyHint) opts.sharedKeyHint = `${input.sharedKeyHint}-${which}`;
  const id = input.localIds?.[which];
  if (id) opts.uniqueId = id;
  if (which === "source" && input.sourceExclude?.length) opts.excludePatterns = input.sourceExclude;
  return opts;
}

function runStep(state: State, step: StepSpec, input: GraphInput, mounts: MountSpec[]): State {
  // The step's own environment only (run's env is not inherited by later
  // steps): nested pipelines got their parents' values when compiled.
  const env = { ...step.environment };
  if (input.namespace) env.MELANGE2_NAMESPACE = input.namespace;
  const workdir = workdirOf(step.workingDirectory);
  return state.run({
    args: ["/bin/sh", "-c", stepScript(step.runs, workdir, input.debug)],
    env,
    cwd: WORKSPACE,
    security: input.privileged ? "insecure" : "sandbox",
    mounts,
    customName: step.name,
  }).root();
}
