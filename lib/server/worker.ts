/**
 * The server's job loop: while a backend has room, take the oldest queued
 * job it is the pool's choice for (routing.ts: its arch and labels, least
 * loaded, native before emulated, circuit closed), run it with the job
 * runner, keep its log in the store, and keep its lease alive; jobs of
 * servers gone silent go back to the queue. A job whose daemon failed
 * under it (isDaemonFailure) counts against that daemon's circuit and goes
 * back to the queue for another backend, at most `maxAttempts` times.
 */
import { join } from "node:path";
import { POOL_DEFAULTS } from "../distro/backends.ts";
import { isDaemonFailure } from "../distro/pool.ts";
import { type JobRunner, runJob } from "./runner.ts";
import { type PoolSettings, Routing } from "./routing.ts";
import type { Backend, Job, JobResult, Store } from "./types.ts";

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  store: Store;
  /** This server process's name in the store (who runs what). */
  serverId: string;
  dataDir: string;
  repoDir: string;
  signingKey?: string;
  runner?: JobRunner;
  /** How often the queue is looked at (default 500 ms). */
  pollMs?: number;
  /** A running job whose server is silent this long goes back to the queue (default 30 s). */
  leaseMs?: number;
  /** The server's own log. */
  log?: (line: string) => void;
  /** Pool settings: defaultMaxJobs, failureThreshold, recoveryTimeoutMs (default Go melange2's). */
  pool?: PoolSettings;
  /** Ask each daemon what it runs (default true). */
  probe?: boolean;
  /** Daemon failures a job may meet before it fails (default 3). */
  maxAttempts?: number;
}

/** A running worker. */
export interface Worker {
  /** Jobs this server runs now. */
  readonly running: ReadonlySet<string>;
  /** Its pool: what the API reports of backends and of queued jobs. */
  readonly routing: Routing;
  /** Stops taking jobs, cancels the running ones and puts them back in the queue. */
  stop(): Promise<void>;
}

/** Starts the loop. */
export function startWorker(opts: WorkerOptions): Worker {
  const pollMs = opts.pollMs ?? 500;
  const leaseMs = opts.leaseMs ?? 30_000;
  const log = opts.log ?? (() => {});
  const running = new Map<
    string,
    { abort: AbortController; done: Promise<void>; backend: string }
  >();
  const stopping = new AbortController();
  let lastBeat = 0;
  const routing = new Routing(opts.pool ?? POOL_DEFAULTS, {
    probe: opts.probe,
    onCircuit: (e) => log(`backend ${e.addr}: circuit ${e.state}`),
  });

  const tick = async () => {
    const now = Date.now();
    if (now - lastBeat >= leaseMs / 3) {
      lastBeat = now;
      await opts.store.heartbeat(opts.serverId);
      const back = await opts.store.requeue({ leaseMs });
      for (const id of back) {
        log(`job ${id} re-queued: its server was silent for ${leaseMs} ms`);
        await opts.store.appendLog(id, [`re-queued: its server was silent for ${leaseMs} ms`]);
      }
    }
    routing.update(await opts.store.listBackends());
    // Other servers' jobs on the same daemons count against their maxJobs too.
    const elsewhere = await opts.store.runningByBackend();
    for (const r of running.values()) {
      elsewhere[r.backend] = Math.max(0, (elsewhere[r.backend] ?? 0) - 1);
    }
    routing.pool.setRunningElsewhere(elsewhere);
    while (!stopping.signal.aborted && await claimOne());
  };

  /** Starts the oldest job some backend with room is the choice for; false when none is. */
  const claimOne = async (): Promise<boolean> => {
    for (const backend of routing.pool.available()) {
      const job = await opts.store.claimJob(
        opts.serverId,
        backend.addr,
        (q) => routing.choose(q)?.addr === backend.addr,
      );
      if (!job) continue;
      routing.pool.take(backend);
      log(`job ${job.id} started on ${backend.addr} (attempt ${job.attempts})`);
      const abort = new AbortController();
      const done = execute(job, backend, abort.signal).finally(() => running.delete(job.id));
      running.set(job.id, { abort, done, backend: backend.addr });
      return true;
    }
    return false;
  };

  /** Records how a run ended: done, or back in the queue when its daemon failed under it. */
  const settle = async (
    job: Job,
    backend: Backend,
    result: JobResult,
    say: (l: string) => void,
  ) => {
    const daemon = result.status === "failed" && isDaemonFailure(result.error ?? "");
    routing.pool.release(backend, daemon ? "daemon-failure" : "ok");
    const failedOn = [...(job.failedOn ?? []), backend.addr];
    const max = opts.maxAttempts ?? 3;
    if (daemon && failedOn.length < max) {
      say(
        `the daemon at ${backend.addr} failed (${failedOn.length} of at most ${max} daemon ` +
          `failures): ${result.error}; back in the queue for another backend`,
      );
      return ["re-queued", await opts.store.retryJob(job.id, opts.serverId, failedOn)] as const;
    }
    if (daemon) {
      result = {
        ...result,
        error: `${result.error} (the daemons failed ${failedOn.length} time(s); gave up)`,
        failedOn,
      };
    }
    say(result.status === "succeeded" ? "succeeded" : `failed: ${result.error}`);
    return [result.status, await opts.store.finishJob(job.id, opts.serverId, result)] as const;
  };

  const execute = async (job: Job, backend: Backend, signal: AbortSignal) => {
    const lines: string[] = [];
    const flush = async () => {
      if (lines.length) await opts.store.appendLog(job.id, lines.splice(0));
    };
    const timer = setInterval(() => flush().catch(() => {}), 300);
    try {
      lines.push(`attempt ${job.attempts} on ${opts.serverId}, backend ${backend.addr}`);
      const result = await (opts.runner ?? runJob)(job, backend, {
        workDir: join(opts.dataDir, "work", job.id),
        repoDir: opts.repoDir,
        signingKey: opts.signingKey,
        log: (line) => lines.push(line),
        signal,
      }).catch((err): JobResult => ({ status: "failed", error: (err as Error).message }));
      if (signal.aborted) {
        routing.pool.release(backend, "ok");
        return; // stopping: the job goes back to the queue
      }
      clearInterval(timer);
      const [end, kept] = await settle(job, backend, result, (l) => lines.push(l));
      await flush();
      log(`job ${job.id} ${end}${kept ? "" : " (no longer ours: result dropped)"}`);
    } catch (err) {
      log(`job ${job.id}: ${(err as Error).message}`);
    } finally {
      clearInterval(timer);
      await flush().catch(() => {});
    }
  };

  let loop = Promise.resolve();
  const interval = setInterval(() => {
    loop = loop.then(tick).catch((err) => log(`job loop: ${(err as Error).message}`));
  }, pollMs);

  return {
    get running() {
      return new Set(running.keys());
    },
    routing,
    async stop() {
      stopping.abort();
      clearInterval(interval);
      await loop;
      const ids = [...running.keys()];
      for (const r of running.values()) r.abort.abort();
      await Promise.all([...running.values()].map((r) => r.done));
      if (ids.length) {
        await opts.store.requeue({ server: opts.serverId });
        for (const id of ids) await opts.store.appendLog(id, ["re-queued: its server stopped"]);
        log(`re-queued ${ids.join(", ")}`);
      }
    },
  };
}
