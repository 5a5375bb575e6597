/** The build server's records: jobs (one submission of build files), their logs, backends. */
import type { Backend } from "../distro/backends.ts";

/**
 * A BuildKit daemon jobs run on: the many-file build's backend (lib/distro/backends.ts),
 * so one model (arch or `*`, labels, maxJobs, TLS) serves both.
 */
export type { Backend };

/** What a client submits: build files, built in order, with their pipelines and sources. */
export interface JobSpec {
  /** Build files by name (`hello.yaml`), in the order they are built. */
  files: { name: string; content: string }[];
  /** Pipeline files by path under the pipelines directory (`custom/step.yaml`). */
  pipelines?: Record<string, string>;
  /** Source files, base64, by path beside the build files (`hello/main.c`). */
  sources?: Record<string, string>;
  /**
   * Architectures (melange's names); default: the backend's own (its host's
   * for a `*` backend). A backend runs the job only if it runs every one.
   */
  arch?: string[];
  /** Labels a backend must have (Go melange2's backend selector), e.g. `{ tier: "big" }`. */
  labels?: Record<string, string>;
}

/** Where a job is. */
export type JobStatus = "queued" | "running" | "succeeded" | "failed";

/** A job as the store keeps it. */
export interface Job {
  id: string;
  status: JobStatus;
  spec: JobSpec;
  /** Milliseconds since the epoch. */
  created: number;
  started?: number;
  finished?: number;
  /** The server process that runs (or ran) it, and on which backend. */
  server?: string;
  backend?: string;
  /** How many times a server took it (a re-queued job is taken again). */
  attempts: number;
  error?: string;
  /** Package files it added to the repository, relative to it (`x86_64/hello-1.0.0-r0.apk`). */
  packages?: string[];
  /** Backends whose daemon failed under it, in order (it is retried on others). */
  failedOn?: string[];
  /** Why a queued job is not started (the API adds it; no backend runs its arch, say). */
  waiting?: string;
}

/** What routing a queued job needs, read without its files. */
export interface QueuedJob {
  id: string;
  /** Its architectures (an empty list: any backend). */
  arch: string[];
  /** Its selector. */
  labels: Record<string, string>;
  failedOn: string[];
}

/** One time a server took a job. */
export interface JobRun {
  jobId: string;
  server: string;
  backend: string;
  attempt: number;
  started: number;
}

/** A backend as posted to the server: an entry of a backends file (arch default `*`). */
export interface BackendEntry {
  addr: string;
  arch?: string;
  labels?: Record<string, string>;
  /** 0 or absent: the pool's default. */
  maxJobs?: number;
  /** TLS files: paths on the server. */
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  tlsservername?: string;
}

/** A backend as the server lists it, with what this server knows of it now. */
export interface BackendView extends Backend {
  circuit?: "closed" | "open" | "half-open";
  /** Daemon failures in a row. */
  failures?: number;
  /** Jobs this server runs on it. */
  running?: number;
  /** What the daemon runs, once it answered. */
  platforms?: { native?: string; runs: string[] };
}

/** A log line of a job, numbered from 1. */
export interface LogLine {
  seq: number;
  line: string;
}

/** How a job ended. */
export interface JobResult {
  status: "succeeded" | "failed";
  error?: string;
  packages?: string[];
  /** The backends whose daemon failed under it, when that is why it failed. */
  failedOn?: string[];
}

/** The job and backend state, in SQLite or PostgreSQL (lib/server/store_*.ts). */
export interface Store {
  createJob(spec: JobSpec): Promise<Job>;
  getJob(id: string): Promise<Job | undefined>;
  listJobs(status?: JobStatus): Promise<Job[]>;
  /**
   * Takes the oldest queued job that `accept` takes (default: any) for
   * `server` on `backend`, atomically: two servers never take the same one
   * (PostgreSQL: FOR UPDATE SKIP LOCKED), and neither waits on the other.
   */
  claimJob(
    server: string,
    backend: string,
    accept?: (job: QueuedJob) => boolean,
  ): Promise<Job | undefined>;
  /**
   * Puts a job `server` runs back in the queue after its daemon failed,
   * recording the backends it failed on; false when it no longer runs it.
   */
  retryJob(id: string, server: string, failedOn: string[]): Promise<boolean>;
  /** Marks `server`'s running jobs alive now. */
  heartbeat(server: string): Promise<void>;
  /** Ends a job `server` runs; false when it no longer does (re-queued meanwhile). */
  finishJob(id: string, server: string, result: JobResult): Promise<boolean>;
  /** Puts back in the queue the running jobs whose server is silent for `leaseMs`, or is `server`. */
  requeue(opts: { leaseMs?: number; server?: string }): Promise<string[]>;
  /** Running jobs per backend address. */
  runningByBackend(): Promise<Record<string, number>>;
  appendLog(id: string, lines: string[]): Promise<void>;
  readLog(id: string, after?: number): Promise<LogLine[]>;
  runs(id?: string): Promise<JobRun[]>;
  listBackends(): Promise<Backend[]>;
  /** Adds or replaces the backend at `backend.addr`. */
  putBackend(backend: Backend): Promise<void>;
  /** Removes a backend; false when there was none at that address. */
  removeBackend(addr: string): Promise<boolean>;
  close(): Promise<void>;
}
