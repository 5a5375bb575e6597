/**
 * The server's state in PostgreSQL (npm `pg`), for several server processes
 * on one queue: a claim reads the queued rows' routing columns (oldest
 * first, no files), and locks the first its backend takes with FOR UPDATE
 * SKIP LOCKED, so two servers never take the same job, and neither waits
 * on the other (a row another server is taking is passed over).
 */
import pg from "pg";
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
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  spec TEXT NOT NULL,
  created BIGINT NOT NULL,
  started BIGINT,
  finished BIGINT,
  heartbeat BIGINT,
  server TEXT,
  backend TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  packages TEXT
);
-- Columns added later are in ADDED_COLUMNS (store.ts), for databases made before them.
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE TABLE IF NOT EXISTS job_logs (
  seq BIGSERIAL PRIMARY KEY,
  job_id TEXT NOT NULL,
  line TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_logs_job ON job_logs (job_id, seq);
CREATE TABLE IF NOT EXISTS job_runs (
  job_id TEXT NOT NULL,
  server TEXT NOT NULL,
  backend TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  started BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS backends (
  addr TEXT PRIMARY KEY,
  arch TEXT NOT NULL,
  max_jobs INTEGER NOT NULL,
  labels TEXT NOT NULL
);
`;

/** Queued rows a claim reads at a time. */
const CLAIM_PAGE = 200;

/** Any constant: the advisory lock servers take while creating the schema. */
const SCHEMA_LOCK = 0x6d656c32;

/** {@link Store} on a PostgreSQL database. */
export class PostgresStore implements Store {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Connects to `url` and creates the tables that are missing. */
  static async open(url: string): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    // An idle connection the server drops must not end this process.
    pool.on("error", () => {});
    try {
      const c = await pool.connect();
      try {
        // Two servers starting at once would race on CREATE TABLE IF NOT EXISTS.
        await c.query("SELECT pg_advisory_lock($1)", [SCHEMA_LOCK]);
        await c.query(SCHEMA);
        for (const [table, column] of ADDED_COLUMNS) {
          await c.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column} TEXT`);
        }
        await c.query("SELECT pg_advisory_unlock($1)", [SCHEMA_LOCK]);
      } finally {
        c.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      const where = url.replace(/\/\/[^@/]*@/, "//");
      throw new UserError(`opening the database ${where}: ${(err as Error).message}`);
    }
    return new PostgresStore(pool);
  }

  async #rows(sql: string, params: unknown[] = []): Promise<Record<string, any>[]> {
    return (await this.#pool.query(sql, params)).rows;
  }

  async createJob(spec: JobSpec): Promise<Job> {
    const { arch, labels } = routingOf(spec);
    const [row] = await this.#rows(
      `INSERT INTO jobs (id, status, spec, created, arch, labels)
         VALUES ($1, 'queued', $2, $3, $4, $5) RETURNING *`,
      [newJobId(), JSON.stringify(spec), Date.now(), arch, labels],
    );
    return rowToJob(row);
  }

  async getJob(id: string): Promise<Job | undefined> {
    const [row] = await this.#rows("SELECT * FROM jobs WHERE id = $1", [id]);
    return row ? rowToJob(row) : undefined;
  }

  async listJobs(status?: JobStatus): Promise<Job[]> {
    const rows = status
      ? await this.#rows("SELECT * FROM jobs WHERE status = $1 ORDER BY seq", [status])
      : await this.#rows("SELECT * FROM jobs ORDER BY seq");
    return rows.map(rowToJob);
  }

  async claimJob(
    server: string,
    backend: string,
    accept: (job: QueuedJob) => boolean = () => true,
  ): Promise<Job | undefined> {
    // Page through the queue without locks; try each row `accept` takes.
    let after = -1;
    for (;;) {
      const page = await this.#rows(
        `SELECT ${QUEUED_COLUMNS} FROM jobs WHERE status = 'queued' AND seq > $1
           ORDER BY seq LIMIT ${CLAIM_PAGE}`,
        [after],
      );
      for (const r of page) {
        if (!accept(rowToQueued(r))) continue;
        const job = await this.#claimOne(r.id, server, backend);
        if (job) return job;
      }
      if (page.length < CLAIM_PAGE) return undefined;
      after = Number(page.at(-1)!.seq);
    }
  }

  /** Takes job `id` if it is still queued and nobody is taking it now. */
  async #claimOne(id: string, server: string, backend: string): Promise<Job | undefined> {
    const c = await this.#pool.connect();
    try {
      await c.query("BEGIN");
      const now = Date.now();
      const { rows } = await c.query(
        `UPDATE jobs SET status = 'running', server = $1, backend = $2, started = $3,
           heartbeat = $3, attempts = attempts + 1
         WHERE id = (SELECT id FROM jobs WHERE id = $4 AND status = 'queued'
                     FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [server, backend, now, id],
      );
      if (rows.length) {
        await c.query(
          "INSERT INTO job_runs (job_id, server, backend, attempt, started) VALUES ($1, $2, $3, $4, $5)",
          [rows[0].id, server, backend, rows[0].attempts, now],
        );
      }
      await c.query("COMMIT");
      return rows.length ? rowToJob(rows[0]) : undefined;
    } catch (err) {
      await c.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async retryJob(id: string, server: string, failedOn: string[]): Promise<boolean> {
    const res = await this.#pool.query(
      `UPDATE jobs SET status = 'queued', server = NULL, failed_on = $1
         WHERE id = $2 AND server = $3 AND status = 'running'`,
      [JSON.stringify(failedOn), id, server],
    );
    return res.rowCount === 1;
  }

  async heartbeat(server: string): Promise<void> {
    await this.#pool.query(
      "UPDATE jobs SET heartbeat = $1 WHERE status = 'running' AND server = $2",
      [Date.now(), server],
    );
  }

  async finishJob(id: string, server: string, result: JobResult): Promise<boolean> {
    const res = await this.#pool.query(
      `UPDATE jobs SET status = $1, error = $2, packages = $3, finished = $4,
         failed_on = COALESCE($7, failed_on)
         WHERE id = $5 AND server = $6 AND status = 'running'`,
      [
        result.status,
        result.error ?? null,
        result.packages ? JSON.stringify(result.packages) : null,
        Date.now(),
        id,
        server,
        result.failedOn ? JSON.stringify(result.failedOn) : null,
      ],
    );
    return res.rowCount === 1;
  }

  async requeue(opts: { leaseMs?: number; server?: string }): Promise<string[]> {
    const cutoff = opts.leaseMs === undefined ? -1 : Date.now() - opts.leaseMs;
    const rows = await this.#rows(
      `UPDATE jobs SET status = 'queued', server = NULL
         WHERE status = 'running' AND (server = $1 OR heartbeat < $2) RETURNING id`,
      [opts.server ?? null, cutoff],
    );
    return rows.map((r) => r.id);
  }

  async runningByBackend(): Promise<Record<string, number>> {
    const rows = await this.#rows(
      "SELECT backend, COUNT(*) AS n FROM jobs WHERE status = 'running' GROUP BY backend",
    );
    return Object.fromEntries(rows.map((r) => [r.backend, Number(r.n)]));
  }

  async appendLog(id: string, lines: string[]): Promise<void> {
    if (!lines.length) return;
    await this.#pool.query(
      "INSERT INTO job_logs (job_id, line) SELECT $1, unnest($2::text[])",
      [id, lines],
    );
  }

  async readLog(id: string, after = 0): Promise<LogLine[]> {
    const rows = await this.#rows(
      "SELECT seq, line FROM job_logs WHERE job_id = $1 AND seq > $2 ORDER BY seq",
      [id, after],
    );
    return rows.map((r) => ({ seq: Number(r.seq), line: r.line }));
  }

  async runs(id?: string): Promise<JobRun[]> {
    const rows = id
      ? await this.#rows("SELECT * FROM job_runs WHERE job_id = $1 ORDER BY started", [id])
      : await this.#rows("SELECT * FROM job_runs ORDER BY started");
    return rows.map((r) => ({
      jobId: r.job_id,
      server: r.server,
      backend: r.backend,
      attempt: Number(r.attempt),
      started: Number(r.started),
    }));
  }

  async listBackends(): Promise<Backend[]> {
    const rows = await this.#rows("SELECT * FROM backends ORDER BY addr");
    return rows.map(rowToBackend);
  }

  async putBackend(b: Backend): Promise<void> {
    await this.#pool.query(
      `INSERT INTO backends (addr, arch, max_jobs, labels, tls) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (addr) DO UPDATE SET arch = excluded.arch, max_jobs = excluded.max_jobs,
         labels = excluded.labels, tls = excluded.tls`,
      backendRow(b),
    );
  }

  async removeBackend(addr: string): Promise<boolean> {
    const res = await this.#pool.query("DELETE FROM backends WHERE addr = $1", [addr]);
    return res.rowCount === 1;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
