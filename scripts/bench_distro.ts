/**
 * Many-package benchmark (issue 22):
 *
 * 1. The planner on a generated tree of 3,000 build files (layered, up to
 *    four needs each): a cold plan in a fresh process's first call, then a
 *    warm one. Goal: under 5 s.
 * 2. Scheduler overhead per package: the scheduler runs a generated graph of
 *    3,000 jobs whose runner does no work (and a 24-job graph whose runner
 *    sleeps 1-5 s, against the same schedule simulated with no overhead).
 *    Goal: under 50 ms per package.
 * 3. A synthetic 24-package graph (shell builds sleeping 1-5 s) built on 1, 2
 *    and 3 private daemons (one build at a time each): makespan, speed-up
 *    over one daemon, and the lower bound no schedule can beat (the larger
 *    of the critical path and the work over the slots, from the run's own
 *    durations). Every run has its own cache namespace, so every step runs;
 *    one unmeasured run first installs the environments.
 *
 *   deno run -A scripts/bench_distro.ts [--skip-builds] [--packages 24]
 */
import { parseArgs } from "node:util";
import { cpuUsage } from "node:process";
import { join } from "node:path";
import { syntheticGraph, writeGraph } from "../tests/support/distro_graph.ts";
import { type OwnDaemon, ownDaemon } from "../tests/support/daemons.ts";
import { ensureLocalRepo, LOCAL_KEY, LOCAL_REPO } from "./local_repo.ts";
import { findSources } from "../lib/distro/sources.ts";
import { planBuilds } from "../lib/distro/plan.ts";
import { type Job, schedule } from "../lib/distro/schedule.ts";
import { criticalPath, type DependencyMap } from "../lib/distro/graph.ts";
import { buildMany, type ManyResult } from "../lib/distro/run.ts";
import type { PoolConfig } from "../lib/distro/backends.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "skip-builds": { type: "boolean", default: false },
    packages: { type: "string", default: "24" },
    "plan-files": { type: "string", default: "3000" },
  },
});
const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
// The planner reads the files only: the repository named in them need not exist yet.
const repoText = { repository: LOCAL_REPO, publicKey: `${LOCAL_REPO}/${LOCAL_KEY}.pub` };

// The planner's child process: a fresh process, so its first plan is cold.
if (Deno.env.get("BENCH_DISTRO_PLAN_DIR")) {
  const dir = Deno.env.get("BENCH_DISTRO_PLAN_DIR")!;
  const cache = Deno.env.get("BENCH_DISTRO_CACHE") === "1";
  const c0 = cpuUsage();
  const t0 = performance.now();
  const src = findSources([dir]);
  const cacheDir = Deno.env.get("BENCH_DISTRO_CACHE_DIR");
  const plan = planBuilds(src.files, { arch: ARCH, cache, cacheDir });
  const wall = performance.now() - t0;
  const cpu = cpuUsage(c0);
  console.log(
    JSON.stringify({ wall, cpu: (cpu.user + cpu.system) / 1000, edges: plan.edges.length }),
  );
  Deno.exit(0);
}

// The parent's own directory (the planner's children make none).
const tmp = Deno.makeTempDirSync({ prefix: "melange2-bench-distro-" });
const n = Number(values["plan-files"]);
const planDir = join(tmp, "plan");
writeGraph(planDir, syntheticGraph(n, { fanIn: 4 }), repoText);
/** One plan of the tree in a fresh process, with the compile cache (kept under `tmp`) or not. */
async function planInChild(cache: boolean): Promise<{ wall: number; cpu: number; edges: number }> {
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname],
    env: {
      BENCH_DISTRO_PLAN_DIR: planDir,
      BENCH_DISTRO_CACHE: cache ? "1" : "0",
      BENCH_DISTRO_CACHE_DIR: join(tmp, "compiled"),
    },
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(child.stdout));
}
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const cold = await planInChild(false);
await planInChild(true); // fills the cache
const again = await planInChild(true);
console.log(
  `planner, ${n} files (${cold.edges} edges): nothing cached ${s(cold.wall)} wall, ` +
    `${s(cold.cpu)} CPU; compiled files cached (a rerun) ${s(again.wall)} wall, ` +
    `${s(again.cpu)} CPU (goal < 5 s)`,
);

// Scheduler overhead with a runner that does nothing: all of the time is the scheduler's.
const pool1: PoolConfig = {
  backends: [{ addr: "x", arch: ARCH, labels: {}, maxJobs: 8 }],
  defaultMaxJobs: 8,
  failureThreshold: 3,
  recoveryTimeoutMs: 1000,
};
const jobsOf = (pkgs: { name: string; needs: string[] }[]): Job[] =>
  pkgs.map((p) => ({ id: p.name, arch: ARCH, needs: p.needs }));
{
  const jobs = jobsOf(syntheticGraph(n, { fanIn: 4 }));
  const t0 = performance.now();
  await schedule(jobs, pool1, () => Promise.resolve({ status: "built" }));
  const per = (performance.now() - t0) / jobs.length;
  console.log(
    `scheduler, ${jobs.length} no-op jobs: ${per.toFixed(3)} ms per package (goal < 50 ms)`,
  );
}
{
  const pkgs = syntheticGraph(24);
  const secs = new Map(pkgs.map((p) => [p.name, p.seconds! * 100])); // 0.1-0.5 s, scaled down
  const slots = 3;
  const pool: PoolConfig = { ...pool1, backends: [{ ...pool1.backends[0], maxJobs: slots }] };
  const t0 = performance.now();
  await schedule(
    jobsOf(pkgs),
    pool,
    (job) => new Promise((r) => setTimeout(() => r({ status: "built" }), secs.get(job.id))),
  );
  const real = performance.now() - t0;
  const ideal = simulate(pkgs, secs, slots);
  console.log(
    `scheduler, 24 sleeping jobs on ${slots} slots: ${real.toFixed(0)} ms against ${ideal} ms ` +
      `simulated with no overhead: ${((real - ideal) / 24).toFixed(2)} ms per package`,
  );
}

if (!values["skip-builds"]) await buildsOnDaemons(Number(values.packages));
Deno.removeSync(tmp, { recursive: true });

/** The same greedy schedule (longest chain first), simulated with no overhead. */
function simulate(
  pkgs: { name: string; needs: string[] }[],
  ms: Map<string, number>,
  slots: number,
): number {
  const height = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const p of pkgs) {
    for (const d of p.needs) dependents.set(d, [...(dependents.get(d) ?? []), p.name]);
  }
  const h = (x: string): number =>
    height.get(x) ??
      (height.set(x, 1 + Math.max(0, ...(dependents.get(x) ?? []).map(h))), height.get(x)!);
  const end = new Map<string, number>();
  const running: { name: string; end: number }[] = [];
  const waiting = new Set(pkgs.map((p) => p.name));
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  let now = 0;
  while (waiting.size || running.length) {
    const ready = [...waiting].filter((x) =>
      byName.get(x)!.needs.every((d) => end.has(d) && end.get(d)! <= now)
    )
      .sort((a, b) => h(b) - h(a) || (a < b ? -1 : 1));
    for (const x of ready) {
      if (running.length >= slots) break;
      waiting.delete(x);
      running.push({ name: x, end: now + ms.get(x)! });
    }
    running.sort((a, b) => a.end - b.end);
    const next = running.shift()!;
    now = next.end;
    end.set(next.name, now);
  }
  return now;
}

async function buildsOnDaemons(count: number): Promise<void> {
  const pkgs = syntheticGraph(count);
  const dir = join(tmp, "graph");
  writeGraph(dir, pkgs, await ensureLocalRepo(undefined, () => {}));
  const daemons: OwnDaemon[] = await Promise.all([ownDaemon(), ownDaemon(), ownDaemon()]);
  try {
    const run = (k: number, tag: string, maxJobs = 1) =>
      buildMany({
        paths: [dir],
        archs: [ARCH],
        pool: {
          backends: daemons.slice(0, k).map((d) => ({
            addr: d.addr,
            arch: ARCH,
            labels: {},
            maxJobs,
          })),
          defaultMaxJobs: 1,
          failureThreshold: 3,
          recoveryTimeoutMs: 30_000,
        },
        base: { outDir: join(tmp, `out-${tag}`), cacheNamespace: `bench-${tag}-${Date.now()}` },
      });
    await run(3, "warmup", 2);
    const sums: string[] = [];
    let one = 0;
    for (const k of [1, 2, 3]) {
      const r = await run(k, `d${k}`);
      const failed = r.results.filter((x) => x.status !== "built");
      if (failed.length) {
        throw new Error(`${failed.length} packages did not build: ${failed[0].reason}`);
      }
      if (k === 1) one = r.makespanMs;
      const bound = lowerBound(r, pkgs, k);
      sums.push(
        `${k} daemon(s): makespan ${(r.makespanMs / 1000).toFixed(1)} s, speed-up ` +
          `${(one / r.makespanMs).toFixed(2)}x, lower bound ${(bound.bound / 1000).toFixed(1)} s ` +
          `(critical path ${(bound.path / 1000).toFixed(1)} s, work/slots ` +
          `${(bound.work / 1000).toFixed(1)} s): ${
            (r.makespanMs / bound.bound).toFixed(2)
          }x the bound; ` +
          `mean build ${(bound.mean / 1000).toFixed(1)} s`,
      );
      console.log(sums[sums.length - 1]);
    }
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
  }
}

/** The bound no schedule beats, from the run's own durations. */
function lowerBound(r: ManyResult, pkgs: { name: string; needs: string[] }[], slots: number) {
  const dur = new Map(r.results.map((x) => [x.name, x.durationMs]));
  const deps: DependencyMap = new Map(pkgs.map((p) => [p.name, new Set(p.needs)]));
  const order = r.plans[0].packages.map((p) => p.name);
  const path = criticalPath(order, deps, (x) => dur.get(x)!).total;
  const total = [...dur.values()].reduce((a, b) => a + b, 0);
  return {
    path,
    work: total / slots,
    bound: Math.max(path, total / slots),
    mean: total / dur.size,
  };
}
