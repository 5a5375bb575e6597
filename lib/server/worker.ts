/**
 * The server's job loop: take queued jobs while a backend has room (the
 * least loaded first), run each with the job runner, keep its log in the
 * store, and keep its lease alive; jobs of servers gone silent go back to
 * the queue.
 */
import { join } from "node:path";
import { type JobRunner, runJob } from "./runner.ts";
import type { Backend, Job, Store } from "./types.ts";

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
}

/** A running worker. */
export interface Worker {
  /** Jobs this server runs now. */
  readonly running: ReadonlySet<string>;
  /** Stops taking jobs, cancels the running ones and puts them back in the queue. */
  stop(): Promise<void>;
}

/** Starts the loop. */
export function startWorker(opts: WorkerOptions): Worker {
  const pollMs = opts.pollMs ?? 500;
  const leaseMs = opts.leaseMs ?? 30_000;
  const log = opts.log ?? (() => {});
  const running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  const stopping = new AbortController();
  let lastBeat = 0;

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
    for (;;) {
      if (stopping.signal.aborted) return;
      const backend = await freeBackend(opts.store);
      if (!backend) return;
      const job = await opts.store.claimJob(opts.serverId, backend.addr);
      if (!job) return;
      log(`job ${job.id} started on ${backend.addr} (attempt ${job.attempts})`);
      const abort = new AbortController();
      const done = execute(job, backend, abort.signal).finally(() => running.delete(job.id));
      running.set(job.id, { abort, done });
    }
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
      });
      if (signal.aborted) return; // stopping: the job goes back to the queue
      lines.push(result.status === "succeeded" ? "succeeded" : `failed: ${result.error}`);
      clearInterval(timer);
      await flush();
      const kept = await opts.store.finishJob(job.id, opts.serverId, result);
      log(`job ${job.id} ${result.status}${kept ? "" : " (no longer ours: result dropped)"}`);
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

/** The backend with the most room, or none when every one is full. */
async function freeBackend(store: Store): Promise<Backend | undefined> {
  const backends = await store.listBackends();
  const busy = await store.runningByBackend();
  let best: Backend | undefined;
  let bestLoad = Infinity;
  for (const b of backends) {
    const n = busy[b.addr] ?? 0;
    if (n >= b.maxJobs) continue;
    const load = n / b.maxJobs;
    if (load < bestLoad) [best, bestLoad] = [b, load];
  }
  return best;
}
