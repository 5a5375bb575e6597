/**
 * Building one planned package on one backend: the single-file build
 * (lib/build/build.ts) for the job's architecture, on the backend's daemon,
 * with the run's out directory as one more repository (read without
 * signature checks: it is the user's own), its log and progress in
 * `<out>/logs/<arch>/<name>.log`, skipped when the content key
 * (contentkey.ts) matches the record of an earlier build.
 */
import { basename, dirname, join, resolve } from "node:path";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { build, type BuildOptions } from "../build/build.ts";
import { environmentSpec } from "../build/plan.ts";
import { ProgressWriter, type StepRecord } from "../buildkit/progress.ts";
import { environmentDigest, resolveEnvironment } from "../apk/environment.ts";
import { readApkHead } from "../apk/archive.ts";
import { withContext } from "../errors.ts";
import type { Backend } from "./backends.ts";
import type { PlannedPackage } from "./plan.ts";
import type { Job, Runner, RunOutcome } from "./schedule.ts";
import { contentKey, matchingRecord, writeRecord } from "./contentkey.ts";

/** The options every package of a run is built with. */
export type BaseBuildOptions = Omit<
  BuildOptions,
  "configFile" | "archs" | "connect" | "signal" | "log" | "warn" | "progress" | "newProgress"
>;

/** What the runner shows of a running job. */
export interface LiveJob {
  steps: Map<string, StepRecord>;
}

/** Options of {@link packageRunner}. */
export interface RunnerOptions {
  /** The planned package of each job id. */
  packages: Map<string, PlannedPackage>;
  base: BaseBuildOptions;
  /** Every live job's progress, by job id (the display reads it). */
  live?: Map<string, LiveJob>;
}

/** Names a package provides that others' deferred needs can match. */
const MATCHABLE = /^(so|cmd|pc):/;

/**
 * A package's sources as wolfi-os keeps them, and its Makefile names them
 * with --source-dir: the directory named after the package beside its build
 * file; without one, an empty workspace. melange's default for one file, the
 * build file's whole directory, would copy a distribution's checkout into
 * every one of its builds.
 */
export function packageSources(
  file: string,
  name: string,
): { sourceDir?: string; emptyWorkspace?: boolean } {
  const dir = join(dirname(file), name);
  return existsSync(dir) && statSync(dir).isDirectory()
    ? { sourceDir: dir }
    : { emptyWorkspace: true };
}

/** The log file of a package. */
export function logPath(outDir: string, arch: string, name: string): string {
  return join(outDir, "logs", arch, `${name}.log`);
}

/** A Runner that builds planned packages (see the module doc). */
export function packageRunner(opts: RunnerOptions): Runner {
  const outDir = resolve(opts.base.outDir);
  return async (job: Job, backend: Backend, attempt: number, signal: AbortSignal) => {
    const pkg = opts.packages.get(job.id)!;
    const log = openLog(logPath(outDir, job.arch, pkg.name), attempt, backend);
    try {
      return await runPackage(pkg, job, backend, signal, log, opts, outDir);
    } catch (err) {
      log.line(`error: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    } finally {
      opts.live?.delete(job.id);
    }
  };
}

async function runPackage(
  pkg: PlannedPackage,
  job: Job,
  backend: Backend,
  signal: AbortSignal,
  log: Log,
  opts: RunnerOptions,
  outDir: string,
): Promise<RunOutcome> {
  const base: BaseBuildOptions = {
    ...opts.base,
    outDir,
    repositoryAppend: [...(opts.base.repositoryAppend ?? []), outDir],
    trustedRepositories: [...(opts.base.trustedRepositories ?? []), outDir],
  };
  const key = await keyOf(pkg, job.arch, base);
  const hit = matchingRecord(outDir, job.arch, pkg.name, key);
  if (hit) {
    log.line(`up to date (content key ${key}): ${hit.files.join(", ")}`);
    return { status: "cached", provides: hit.provides };
  }
  const writer = new ProgressWriter("plain", (s) => log.text(s));
  opts.live?.set(job.id, { steps: writer.steps });
  const result = await build({
    ...base,
    ...packageSources(pkg.file, pkg.name),
    configFile: pkg.file,
    archs: [job.arch],
    connect: { ...backend.tls, addr: backend.addr },
    signal,
    progress: "plain",
    newProgress: () => writer,
    log: (line) => log.line(line),
    warn: (line) => log.line(line),
  });
  const files = result.packages[job.arch] ?? [];
  const provides = await providesOf(files);
  writeRecord(outDir, job.arch, pkg.name, { key, files: files.map((f) => basename(f)), provides });
  const cachedSteps = [...writer.steps.values()].filter((s) => s.cached).length;
  log.line(`built ${files.map((f) => basename(f)).join(", ")} (${cachedSteps} steps cached)`);
  return { status: "built", provides, cachedSteps };
}

/** The content key of a package's build now (its environment resolved against the out dir). */
async function keyOf(pkg: PlannedPackage, arch: string, base: BaseBuildOptions): Promise<string> {
  const spec = environmentSpec(pkg.compiled, arch, base);
  const resolved = await resolveEnvironment(spec).catch((err) => {
    throw withContext(`resolving the build environment of ${pkg.name} (${arch})`, err);
  });
  return contentKey(
    readFileSync(pkg.file, "utf8"),
    pkg.compiled,
    environmentDigest(resolved, spec),
    {
      signed: base.signingKey !== undefined,
      namespace: base.namespace,
      cacheNamespace: base.cacheNamespace,
      buildDate: base.buildDate,
      sourceDateEpoch: base.sourceDateEpoch,
      stripOriginName: base.stripOriginName,
      gitCommit: base.gitCommit,
    },
  );
}

/** The so:/cmd:/pc: names the built packages provide (their .PKGINFO). */
async function providesOf(files: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const f of files) {
    const head = await readApkHead(Deno.readFileSync(f), new Map(), {
      allowUntrusted: true,
      source: f,
    });
    for (const p of head.info.provides) {
      const name = p.split("=")[0];
      if (MATCHABLE.test(name)) out.add(name);
    }
  }
  return [...out].sort();
}

interface Log {
  line(s: string): void;
  text(s: string): void;
}

/** The package's log: a new one at the first attempt, appended to at later ones. */
function openLog(path: string, attempt: number, backend: Backend): Log {
  mkdirSync(join(path, ".."), { recursive: true });
  const head = `== attempt ${attempt} on ${backend.addr} at ${new Date().toISOString()}\n`;
  writeFileSync(path, head, { flag: attempt === 1 ? "w" : "a" });
  const text = (s: string) => writeFileSync(path, s, { flag: "a" });
  return { text, line: (s) => text(s + "\n") };
}
