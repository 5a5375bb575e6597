/**
 * Building many packages: plan build files into a dependency graph
 * (plan.ts), run it on a pool of BuildKit daemons (pool.ts, schedule.ts)
 * with the single-file build per package (runner.ts), and show progress
 * (display.ts). `buildMany` (run.ts) does all of it; the parts are plain
 * functions over plain data for other front ends (a build server).
 */
export { type BuildSources, findSources } from "./sources.ts";
export {
  cyclesMessage,
  type Plan,
  planBuilds,
  type PlanCycle,
  type PlanEdge,
  type PlannedPackage,
  type PlanOptions,
} from "./plan.ts";
export { criticalPath, cycles, type DependencyMap, topologicalOrder } from "./graph.ts";
export {
  type Backend,
  checkBackends,
  parseBackend,
  parseBackends,
  POOL_DEFAULTS,
  type PoolConfig,
  poolFromAddrs,
  readBackendsFile,
} from "./backends.ts";
export {
  type BackendStatus,
  type CircuitEvent,
  type CircuitState,
  isDaemonFailure,
  type Outcome,
  Pool,
} from "./pool.ts";
export { type BackendPlatforms, platformsOf, probePlatforms } from "./platforms.ts";
export {
  type Job,
  type JobResult,
  type JobStatus,
  type Runner,
  type RunOutcome,
  schedule,
  type ScheduleEvent,
  type ScheduleOptions,
} from "./schedule.ts";
export { type BaseBuildOptions, logPath, packageRunner, type RunnerOptions } from "./runner.ts";
export { type BuildRecord, contentKey, matchingRecord, recordPath } from "./contentkey.ts";
export { currentStep, type JobLabel, resultsTable, RunDisplay } from "./display.ts";
export { buildMany, type ManyOptions, type ManyResult } from "./run.ts";
