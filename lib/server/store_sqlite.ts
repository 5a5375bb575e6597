/**
 * The server's state in an embedded SQLite database (node:sqlite): one server
 * process per file. Every statement is synchronous, so a claim is atomic by
 * running in one immediate transaction.
 */
import { DatabaseSync } from "node:sqlite";
import { UserError } from "../errors.ts";
import {
  ADDED_COLUMNS,
  backendRow,
  newJobId,
  QUEUED_COLUMNS,
  routingOf,
  rowToBackend,
  rowToJob,
  rowToQueued,
} from "./store.ts";
import type {
  Backend,
  Job,
  JobResult,
  JobRun,
  JobSpec,
  JobStatus,
  LogLine,
  QueuedJob,
  Store,
} from "./types.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  spec TEXT NOT NULL,
  created INTEGER NOT NULL,
  started INTEGER,
  finished INTEGER,
  heartbeat INTEGER,
  server TEXT,
  backend TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  packages TEXT,
  arch TEXT,
  labels TEXT,
  failed_on TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE TABLE IF NOT EXISTS job_logs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  line TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_logs_job ON job_logs (job_id, seq);
CREATE TABLE IF NOT EXISTS job_runs (
  job_id TEXT NOT NULL,
  server TEXT NOT NULL,
  backend TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  started INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS backends (
  addr TEXT PRIMARY KEY,
  arch TEXT NOT NULL,
  max_jobs INTEGER NOT NULL,
  labels TEXT NOT NULL,
  tls TEXT
);
`;

/** {@link Store} on a SQLite file. */
export class SqliteStore implements Store {
  readonly #db: DatabaseSync;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (and creates) the database at `path`. */
  static open(path: string): SqliteStore {
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path);
      db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;");
      db.exec(SCHEMA);
      addColumns(db);
    } catch (err) {
      throw new UserError(`opening the database ${path}: ${(err as Error).message}`);
    }
    return new SqliteStore(db);
  }

  #tx<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.#db.exec("COMMIT");
      return out;
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  createJob(spec: JobSpec): Promise<Job> {
    const id = newJobId();
    const { arch, labels } = routingOf(spec);
    this.#db.prepare(
      "INSERT INTO jobs (id, status, spec, created, arch, labels) VALUES (?, 'queued', ?, ?, ?, ?)",
    ).run(id, JSON.stringify(spec), Date.now(), arch, labels);
    return Promise.resolve(this.#get(id)!);
  }

  #get(id: string): Job | undefined {
    const row = this.#db.prepare("SELECT * FROM jobs WHERE id = ?").get(id);
    return row ? rowToJob(row) : undefined;
  }

  getJob(id: string): Promise<Job | undefined> {
    return Promise.resolve(this.#get(id));
  }

  listJobs(status?: JobStatus): Promise<Job[]> {
    const rows = status
      ? this.#db.prepare("SELECT * FROM jobs WHERE status = ? ORDER BY seq").all(status)
      : this.#db.prepare("SELECT * FROM jobs ORDER BY seq").all();
    return Promise.resolve(rows.map(rowToJob));
  }

  claimJob(
    server: string,
    backend: string,
    accept: (job: QueuedJob) => boolean = () => true,
  ): Promise<Job | undefined> {
    return Promise.resolve(this.#tx(() => {
      // One writer at a time (BEGIN IMMEDIATE): the first row accepted is ours.
      let row: QueuedJob | undefined;
      const queued = this.#db.prepare(
        `SELECT ${QUEUED_COLUMNS} FROM jobs WHERE status = 'queued' ORDER BY seq`,
      ).iterate();
      for (const r of queued) {
        const q = rowToQueued(r);
        if (accept(q)) {
          row = q;
          break;
        }
      }
      if (!row) return undefined;
      const now = Date.now();
      this.#db.prepare(
        `UPDATE jobs SET status = 'running', server = ?, backend = ?, started = ?, heartbeat = ?,
           attempts = attempts + 1 WHERE id = ?`,
      ).run(server, backend, now, now, row.id);
      const job = this.#get(row.id)!;
      this.#db.prepare(
        "INSERT INTO job_runs (job_id, server, backend, attempt, started) VALUES (?, ?, ?, ?, ?)",
      ).run(job.id, server, backend, job.attempts, now);
      return job;
    }));
  }

  heartbeat(server: string): Promise<void> {
    this.#db.prepare("UPDATE jobs SET heartbeat = ? WHERE status = 'running' AND server = ?")
      .run(Date.now(), server);
    return Promise.resolve();
  }

  finishJob(id: string, server: string, result: JobResult): Promise<boolean> {
    const res = this.#db.prepare(
      `UPDATE jobs SET status = ?, error = ?, packages = ?, finished = ?,
         failed_on = COALESCE(?, failed_on)
         WHERE id = ? AND server = ? AND status = 'running'`,
    ).run(
      result.status,
      result.error ?? null,
      result.packages ? JSON.stringify(result.packages) : null,
      Date.now(),
      result.failedOn ? JSON.stringify(result.failedOn) : null,
      id,
      server,
    );
    return Promise.resolve(Number(res.changes) === 1);
  }

  retryJob(id: string, server: string, failedOn: string[]): Promise<boolean> {
    const res = this.#db.prepare(
      `UPDATE jobs SET status = 'queued', server = NULL, failed_on = ?
         WHERE id = ? AND server = ? AND status = 'running'`,
    ).run(JSON.stringify(failedOn), id, server);
    return Promise.resolve(Number(res.changes) === 1);
  }

  requeue(opts: { leaseMs?: number; server?: string }): Promise<string[]> {
    return Promise.resolve(this.#tx(() => {
      const cutoff = opts.leaseMs === undefined ? -1 : Date.now() - opts.leaseMs;
      const rows = this.#db.prepare(
        "SELECT id FROM jobs WHERE status = 'running' AND (server = ? OR heartbeat < ?)",
      ).all(opts.server ?? null, cutoff) as { id: string }[];
      for (const { id } of rows) {
        this.#db.prepare("UPDATE jobs SET status = 'queued', server = NULL WHERE id = ?").run(id);
      }
      return rows.map((r) => r.id);
    }));
  }

  runningByBackend(): Promise<Record<string, number>> {
    const rows = this.#db.prepare(
      "SELECT backend, COUNT(*) AS n FROM jobs WHERE status = 'running' GROUP BY backend",
    ).all() as { backend: string; n: number }[];
    return Promise.resolve(Object.fromEntries(rows.map((r) => [r.backend, Number(r.n)])));
  }

  appendLog(id: string, lines: string[]): Promise<void> {
    const insert = this.#db.prepare("INSERT INTO job_logs (job_id, line) VALUES (?, ?)");
    this.#tx(() => lines.forEach((l) => insert.run(id, l)));
    return Promise.resolve();
  }

  readLog(id: string, after = 0): Promise<LogLine[]> {
    const rows = this.#db.prepare(
      "SELECT seq, line FROM job_logs WHERE job_id = ? AND seq > ? ORDER BY seq",
    ).all(id, after) as { seq: number; line: string }[];
    return Promise.resolve(rows.map((r) => ({ seq: Number(r.seq), line: r.line })));
  }

  runs(id?: string): Promise<JobRun[]> {
    const rows =
      (id
        ? this.#db.prepare("SELECT * FROM job_runs WHERE job_id = ? ORDER BY started").all(id)
        : this.#db.prepare("SELECT * FROM job_runs ORDER BY started").all()) as any[];
    return Promise.resolve(rows.map((r) => ({
      jobId: r.job_id,
      server: r.server,
      backend: r.backend,
      attempt: Number(r.attempt),
      started: Number(r.started),
    })));
  }

  listBackends(): Promise<Backend[]> {
    const rows = this.#db.prepare("SELECT * FROM backends ORDER BY addr").all() as any[];
    return Promise.resolve(rows.map(rowToBackend));
  }

  putBackend(b: Backend): Promise<void> {
    this.#db.prepare(
      `INSERT INTO backends (addr, arch, max_jobs, labels, tls) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (addr) DO UPDATE SET arch = excluded.arch, max_jobs = excluded.max_jobs,
         labels = excluded.labels, tls = excluded.tls`,
    ).run(...backendRow(b));
    return Promise.resolve();
  }

  removeBackend(addr: string): Promise<boolean> {
    const res = this.#db.prepare("DELETE FROM backends WHERE addr = ?").run(addr);
    return Promise.resolve(Number(res.changes) === 1);
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

/** Adds the columns a database made by an earlier server lacks (ADDED_COLUMNS). */
function addColumns(db: DatabaseSync): void {
  for (const [table, column] of ADDED_COLUMNS) {
    const have = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[])
      .some((c) => c.name === column);
    if (!have) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} TEXT`);
  }
}
