/**
 * Runs a planned graph of jobs on a pool: a job starts once the jobs it
 * needs have succeeded and a backend of its architecture has a free slot;
 * among ready jobs, the one heading the longest chain of work goes first
 * (so the critical path is never kept waiting). A job that fails skips its
 * dependents (with the reason); without `keepGoing` nothing new starts
 * after a failure (running jobs finish), as make stops; with it everything
 * else goes on, as `make -k`. A job whose daemon fails under it is retried
 * on another daemon, up to `maxAttempts` times in all.
 *
 * A job's `deferred` needs (so:/cmd: names only known once packages are
 * built) are met by jobs that have finished and provide them; until then it
 * waits while any other job that might provide them (not its dependent,
 * not itself waiting on deferred needs) is unfinished.
 */
import type { Backend, PoolConfig } from "./backends.ts";
import { isDaemonFailure, Pool } from "./pool.ts";

/** One job: a package for an architecture. */
export interface Job {
  /** Unique id (`name` or `name@arch`). */
  id: string;
  arch: string;
  /** Ids of the jobs to finish first. */
  needs: string[];
  deferred?: string[];
  selector?: Record<string, string>;
}

/** How a job ended. */
export type JobStatus = "built" | "cached" | "failed" | "skipped";

/** What the scheduler records for a job. */
export interface JobResult {
  id: string;
  status: JobStatus;
  /** Why it failed or was skipped. */
  reason?: string;
  /** The backend of its last attempt. */
  backend?: string;
  attempts: number;
  /** Wall-clock times (ms since the epoch) of its last attempt. */
  startedAt?: number;
  endedAt?: number;
  durationMs: number;
  /** Names it provides (for others' deferred needs), from the runner. */
  provides?: string[];
  /** Steps BuildKit answered from its cache, from the runner. */
  cachedSteps?: number;
}

/** What a runner returns for a job that succeeded. */
export interface RunOutcome {
  status: "built" | "cached";
  provides?: string[];
  cachedSteps?: number;
}

/** Runs one job on one backend; throws when it fails. */
export type Runner = (
  job: Job,
  backend: Backend,
  attempt: number,
  signal: AbortSignal,
) => Promise<RunOutcome>;

/** A scheduler event, for progress display. */
export type ScheduleEvent =
  | { kind: "start"; id: string; backend: string; attempt: number }
  | { kind: "retry"; id: string; backend: string; error: string }
  | { kind: "end"; result: JobResult };

/** Options of {@link schedule}. */
export interface ScheduleOptions {
  keepGoing?: boolean;
  /** Attempts per job when daemons fail under it (default 3). */
  maxAttempts?: number;
  signal?: AbortSignal;
  onEvent?: (e: ScheduleEvent) => void;
  /** The pool to use (default: a new one of `config`). */
  pool?: Pool;
  /** How reasons name a job (default: its id). */
  label?: (id: string) => string;
}

/** Runs `jobs` (see the module doc); resolves with every job's result, in `jobs`' order. */
export async function schedule(
  jobs: Job[],
  config: PoolConfig,
  run: Runner,
  opts: ScheduleOptions = {},
): Promise<JobResult[]> {
  const s = new Scheduler(jobs, opts.pool ?? new Pool(config), run, opts);
  await s.run();
  return jobs.map((j) => s.results.get(j.id)!);
}

class Scheduler {
  readonly results = new Map<string, JobResult>();
  readonly #jobs: Map<string, Job>;
  readonly #dependents = new Map<string, string[]>();
  readonly #height = new Map<string, number>();
  readonly #waiting = new Set<string>();
  readonly #attempts = new Map<string, number>();
  readonly #failedOn = new Map<string, Set<string>>();
  readonly #running = new Set<Promise<void>>();
  readonly #provided = new Set<string>();
  readonly #ctrl = new AbortController();
  #stopped = false;
  #wake?: () => void;

  constructor(
    jobs: Job[],
    readonly pool: Pool,
    readonly runJob: Runner,
    readonly opts: ScheduleOptions,
  ) {
    this.#jobs = new Map(jobs.map((j) => [j.id, j]));
    for (const j of jobs) {
      for (const n of j.needs) {
        if (!this.#jobs.has(n)) throw new Error(`job ${j.id} needs ${n}, which is not planned`);
        let list = this.#dependents.get(n);
        if (!list) this.#dependents.set(n, list = []);
        list.push(j.id);
      }
      this.#waiting.add(j.id);
    }
    for (const j of [...jobs].reverse()) this.#heightOf(j.id);
    opts.signal?.addEventListener("abort", () => this.#ctrl.abort(opts.signal!.reason));
  }

  /** Jobs on the longest chain below (and including) `id`. */
  #heightOf(id: string): number {
    const known = this.#height.get(id);
    if (known !== undefined) return known;
    let h = 0;
    // Iterative enough: dependents chains are at most the graph's depth.
    for (const d of this.#dependents.get(id) ?? []) h = Math.max(h, this.#heightOf(d));
    this.#height.set(id, h + 1);
    return h + 1;
  }

  async run(): Promise<void> {
    while (this.#waiting.size || this.#running.size) {
      this.#dispatch();
      if (!this.#running.size && this.#waiting.size && !this.#blockedOnPool()) {
        // Nothing runs and nothing can start: what waits can never run.
        for (const id of [...this.#waiting]) this.#skip(id, "nothing it needs can finish");
        break;
      }
      await this.#sleep();
    }
    await Promise.all(this.#running);
  }

  /** Whether waiting jobs wait only for a slot (a circuit's recovery). */
  #blockedOnPool(): boolean {
    return [...this.#waiting].some((id) => this.#ready(id));
  }

  #sleep(): Promise<void> {
    const recovery = this.pool.nextRecovery();
    return new Promise((resolve) => {
      const timer = recovery === undefined ? undefined : setTimeout(done, recovery + 5);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  #dispatch(): void {
    if (this.#ctrl.signal.aborted) {
      for (const id of [...this.#waiting]) this.#skip(id, "the run was cancelled");
      return;
    }
    const ready = [...this.#waiting].filter((id) => this.#ready(id));
    ready.sort((a, b) => this.#height.get(b)! - this.#height.get(a)! || (a < b ? -1 : 1));
    for (const id of ready) {
      const job = this.#jobs.get(id)!;
      if (!this.pool.matching(job.arch, job.selector).length) {
        this.#waiting.delete(id);
        this.#finish(this.#result(
          id,
          "failed",
          `no backend runs ${job.arch}` +
            (job.selector && Object.keys(job.selector).length
              ? ` with labels ${JSON.stringify(job.selector)}`
              : ""),
        ));
        continue;
      }
      const backend = this.pool.acquire(job.arch, job.selector, this.#failedOn.get(id));
      if (!backend) continue;
      this.#waiting.delete(id);
      this.#start(job, backend);
    }
  }

  #ready(id: string): boolean {
    if (this.#stopped) return false;
    const job = this.#jobs.get(id)!;
    if (
      !job.needs.every((n) =>
        this.results.get(n)?.status === "built" ||
        this.results.get(n)?.status === "cached"
      )
    ) return false;
    const open = (job.deferred ?? []).filter((d) => !this.#provided.has(d));
    if (!open.length) return true;
    // Another unfinished job might still provide them: wait for it, unless it
    // needs this one or waits on deferred needs itself (either would deadlock).
    const below = this.#below(id);
    for (const other of [...this.#waiting, ...this.#runningIds]) {
      if (other === id || below.has(other)) continue;
      if (this.#jobs.get(other)!.deferred?.some((d) => !this.#provided.has(d))) continue;
      return false;
    }
    return true;
  }

  readonly #runningIds = new Set<string>();

  #below(id: string): Set<string> {
    const seen = new Set<string>();
    const stack = [...(this.#dependents.get(id) ?? [])];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...(this.#dependents.get(n) ?? []));
    }
    return seen;
  }

  #start(job: Job, backend: Backend): void {
    const attempt = (this.#attempts.get(job.id) ?? 0) + 1;
    this.#attempts.set(job.id, attempt);
    this.#runningIds.add(job.id);
    this.opts.onEvent?.({ kind: "start", id: job.id, backend: backend.addr, attempt });
    const startedAt = Date.now();
    const t0 = performance.now();
    const p = this.runJob(job, backend, attempt, this.#ctrl.signal).then(
      (out) => {
        this.pool.release(backend, "ok");
        for (const name of out.provides ?? []) this.#provided.add(name);
        this.#finish({
          ...this.#result(job.id, out.status),
          backend: backend.addr,
          startedAt,
          endedAt: Date.now(),
          durationMs: performance.now() - t0,
          provides: out.provides,
          cachedSteps: out.cachedSteps,
        });
      },
      (err) => {
        const daemon = !this.#ctrl.signal.aborted && isDaemonFailure(err);
        this.pool.release(backend, daemon ? "daemon-failure" : "ok");
        const message = err instanceof Error ? err.message : String(err);
        if (daemon && attempt < (this.opts.maxAttempts ?? 3)) {
          let failed = this.#failedOn.get(job.id);
          if (!failed) this.#failedOn.set(job.id, failed = new Set());
          failed.add(backend.addr);
          this.opts.onEvent?.({ kind: "retry", id: job.id, backend: backend.addr, error: message });
          this.#waiting.add(job.id);
          return;
        }
        const why = daemon
          ? `${message} (the daemons failed ${attempt} time(s); gave up)`
          : message;
        this.#finish({
          ...this.#result(job.id, "failed", why),
          backend: backend.addr,
          startedAt,
          endedAt: Date.now(),
          durationMs: performance.now() - t0,
        });
      },
    ).finally(() => {
      this.#runningIds.delete(job.id);
      this.#running.delete(p);
      this.#wake?.();
    });
    this.#running.add(p);
  }

  #result(id: string, status: JobStatus, reason?: string): JobResult {
    return { id, status, reason, attempts: this.#attempts.get(id) ?? 0, durationMs: 0 };
  }

  #finish(r: JobResult): void {
    this.results.set(r.id, r);
    this.opts.onEvent?.({ kind: "end", result: r });
    if (r.status !== "failed") return;
    if (!this.opts.keepGoing) this.#stopped = true;
    const name = this.opts.label ?? ((id: string) => id);
    // Breadth first from the failed job: each dependent is told the way it needs it.
    const via = new Map<string, string>();
    const queue = [r.id];
    while (queue.length) {
      const n = queue.shift()!;
      for (const d of this.#dependents.get(n) ?? []) {
        if (via.has(d) || !this.#waiting.has(d)) continue;
        via.set(d, n);
        queue.push(d);
      }
    }
    for (const [d, from] of via) {
      const through = from === r.id ? "" : ` (through ${name(from)})`;
      this.#skip(d, `needs ${name(r.id)}${through}, which failed`);
    }
    if (this.#stopped) {
      for (const id of [...this.#waiting]) {
        this.#skip(
          id,
          `not started: ${name(r.id)} failed (--keep-going builds what does not need it)`,
        );
      }
    }
  }

  #skip(id: string, reason: string): void {
    this.#waiting.delete(id);
    const r = this.#result(id, "skipped", reason);
    this.results.set(id, r);
    this.opts.onEvent?.({ kind: "end", result: r });
  }
}
