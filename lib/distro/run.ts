/**
 * `melange2 build` of many files: find the files (sources.ts), plan each
 * architecture (plan.ts; a cycle is one error), make sure the out directory
 * is a repository every build can read from the start, then schedule the
 * packages on the pool (schedule.ts) with the package runner (runner.ts)
 * and show progress (display.ts). Returns every package's result; the
 * caller decides the exit status.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../errors.ts";
import { hostArch } from "../build/arch.ts";
import { addToRepository } from "../apk/outdir.ts";
import { type ApkPackage, readIndexArchive } from "../apk/index.ts";
import { loadIndex, parseRepository } from "../apk/repository.ts";
import { loadSigningKey } from "../apk/signature.ts";
import type { PoolConfig } from "./backends.ts";
import { cyclesMessage, type Plan, planBuilds } from "./plan.ts";
import { type CircuitEvent, Pool } from "./pool.ts";
import { probePlatforms } from "./platforms.ts";
import { type Job, type JobResult, schedule, type ScheduleEvent } from "./schedule.ts";
import { type BaseBuildOptions, type LiveJob, packageRunner } from "./runner.ts";
import { findSources } from "./sources.ts";
import { type JobLabel, resultsTable, RunDisplay } from "./display.ts";

/** Options of {@link buildMany}. */
export interface ManyOptions {
  /** Build files and directories of them. */
  paths: string[];
  /** Architectures (melange's names); default: the pool's, else this machine's. */
  archs?: string[];
  pool: PoolConfig;
  base: BaseBuildOptions;
  /** Repositories whose packages break cycles (and join every build's repositories). */
  bootstrapRepositories?: string[];
  keepGoing?: boolean;
  /** Attempts per package when daemons fail under it (default 3). */
  maxAttempts?: number;
  signal?: AbortSignal;
  /** Progress output; default: none. */
  display?: { mode: "tty" | "plain" | "quiet"; write: (s: string) => void; columns?: number };
  /** Every scheduler event, after the display has it. */
  onEvent?: (e: ScheduleEvent) => void;
  /** Plan only: no daemon is asked, nothing is built. */
  planOnly?: boolean;
}

/** What a many-package run did. */
export interface ManyResult {
  plans: Plan[];
  results: (JobResult & JobLabel)[];
  /** Circuit changes, in order. */
  circuits: CircuitEvent[];
  /** From the first job's start to the last one's end. */
  makespanMs: number;
  /** The final table. */
  table: string;
}

/** Plans and builds (see the module doc). */
export async function buildMany(opts: ManyOptions): Promise<ManyResult> {
  const sources = findSources(opts.paths);
  const outDir = resolve(opts.base.outDir);
  const pipelineDirs = [...(opts.base.pipelineDirs ?? []), ...sources.pipelineDirs];
  const archs = opts.archs?.length ? opts.archs : defaultArchs(opts.pool);
  const bootstrap = opts.bootstrapRepositories ?? [];
  const plans: Plan[] = [];
  for (const arch of archs) {
    const plan = planBuilds(sources.files, {
      arch,
      pipelineDirs,
      varsFile: opts.base.varsFile,
      envFile: opts.base.envFile,
      bootstrap: await offered(bootstrap, arch),
      built: await builtBefore(outDir, arch),
    });
    if (plan.cycles.length) throw new UserError(cyclesMessage(plan));
    plans.push(plan);
  }
  const jobs: Job[] = [];
  const labels = new Map<string, JobLabel>();
  const packages = new Map<string, Plan["packages"][number]>();
  for (const plan of plans) {
    for (const p of plan.packages) {
      const id = `${plan.arch}/${p.name}`;
      jobs.push({
        id,
        arch: plan.arch,
        needs: p.needs.map((n) => `${plan.arch}/${n}`),
        deferred: p.deferred.map((d) => d.replace(/[<>=~].*$/, "")),
      });
      labels.set(id, { name: p.name, arch: plan.arch, version: p.version });
      packages.set(id, p);
    }
  }
  if (opts.planOnly) {
    return { plans, results: [], circuits: [], makespanMs: 0, table: "" };
  }
  const signingKey = opts.base.signingKey ? loadSigningKey(opts.base.signingKey) : undefined;
  for (const arch of archs) {
    // Every build reads the out directory as a repository: it needs an index from the start.
    const dir = join(outDir, arch);
    if (!existsSync(join(dir, "APKINDEX.tar.gz"))) await addToRepository(dir, [], { signingKey });
  }
  const live = new Map<string, LiveJob>();
  const display = new RunDisplay({
    ...(opts.display ?? { mode: "quiet", write: () => {} }),
    labels,
    live,
    showArch: archs.length > 1,
  });
  const pool = new Pool(opts.pool, {
    onEvent: (e) => display.circuit(e),
    platforms: await probePlatforms(opts.pool),
  });
  const run = packageRunner({
    packages,
    live,
    base: {
      ...opts.base,
      pipelineDirs,
      repositoryAppend: [...(opts.base.repositoryAppend ?? []), ...bootstrap],
    },
  });
  const t0 = performance.now();
  let results: JobResult[];
  try {
    results = await schedule(jobs, opts.pool, run, {
      pool,
      keepGoing: opts.keepGoing,
      maxAttempts: opts.maxAttempts,
      signal: opts.signal,
      onEvent: (e) => {
        display.event(e);
        opts.onEvent?.(e);
      },
      label: (id) => labels.get(id)?.name ?? id,
    });
  } finally {
    display.stop();
  }
  const makespanMs = performance.now() - t0;
  return {
    plans,
    results: results.map((r) => ({ ...r, ...labels.get(r.id)! })),
    circuits: pool.events,
    makespanMs,
    table: resultsTable(results, labels, archs.length > 1),
  };
}

/** The pool's architectures, else this machine's. */
function defaultArchs(pool: PoolConfig): string[] {
  const archs = [...new Set(pool.backends.map((b) => b.arch).filter((a) => a !== "*"))];
  return archs.length ? archs.sort() : [hostArch()];
}

/** What the bootstrap repositories offer for `arch` (names only: builds verify). */
async function offered(repos: string[], arch: string): Promise<ApkPackage[]> {
  const all: ApkPackage[] = [];
  for (const line of repos) {
    const idx = await loadIndex(parseRepository(line), arch, new Map(), { allowUntrusted: true });
    all.push(...idx.packages);
  }
  return all;
}

/** The out directory's packages for `arch` from earlier runs, if any. */
async function builtBefore(outDir: string, arch: string): Promise<ApkPackage[]> {
  const path = join(outDir, arch, "APKINDEX.tar.gz");
  if (!existsSync(path)) return [];
  return await readIndexArchive(readFileSync(path), new Map(), {
    allowUntrusted: true,
    source: path,
  });
}
