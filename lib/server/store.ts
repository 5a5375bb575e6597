/**
 * Opening the server's state: an embedded SQLite file by default (nothing to
 * install), PostgreSQL for several server replicas sharing one queue.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { normalizeArch } from "../config/arch.ts";
import type { Backend, Job, JobSpec, QueuedJob, Store } from "./types.ts";

/**
 * Opens `database`: a `postgres://` or `postgresql://` URL, a SQLite file
 * path, or (none given) `<dataDir>/melange2.db`.
 */
export async function openStore(database: string | undefined, dataDir: string): Promise<Store> {
  if (database && /^postgres(ql)?:\/\//.test(database)) {
    const { PostgresStore } = await import("./store_postgres.ts");
    return await PostgresStore.open(database);
  }
  const { SqliteStore } = await import("./store_sqlite.ts");
  return SqliteStore.open(database ?? join(dataDir, "melange2.db"));
}

/** A new job's id: time-ordered, then random (`j-` so it never reads as a flag). */
export function newJobId(): string {
  return `j-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
}

/** A jobs table row (either database), as a Job. */
export function rowToJob(r: Record<string, any>): Job {
  const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));
  return {
    id: r.id,
    status: r.status,
    spec: JSON.parse(r.spec) as JobSpec,
    created: Number(r.created),
    started: num(r.started),
    finished: num(r.finished),
    server: r.server ?? undefined,
    backend: r.backend ?? undefined,
    attempts: Number(r.attempts),
    error: r.error ?? undefined,
    packages: r.packages ? JSON.parse(r.packages) : undefined,
    ...(r.failed_on && r.failed_on !== "[]" ? { failedOn: JSON.parse(r.failed_on) } : {}),
  };
}

/**
 * Columns added since the first schema, by table: a database made before
 * them gets them when a server opens it (and {@link routingOf} fills the jobs').
 */
export const ADDED_COLUMNS: [table: string, column: string][] = [
  ["jobs", "arch"],
  ["jobs", "labels"],
  ["jobs", "failed_on"],
  ["backends", "tls"],
];

/** The jobs table's routing columns for a spec: what a claim filters on without reading files. */
export function routingOf(spec: JobSpec): { arch: string; labels: string } {
  const arch = (spec.arch ?? []).map((a) => {
    try {
      return normalizeArch(a);
    } catch {
      return a; // a job of the first server, never checked: no backend will match it
    }
  });
  return { arch: JSON.stringify(arch), labels: JSON.stringify(spec.labels ?? {}) };
}

/**
 * The claim's query for queued rows, oldest first, without their files
 * (the spec only of a row a server of the first schema wrote after the
 * columns were added, whose routing columns are empty).
 */
export const QUEUED_COLUMNS =
  "seq, id, arch, labels, failed_on, CASE WHEN arch IS NULL THEN spec END AS spec";

/** A queued row (see {@link QUEUED_COLUMNS}) as the claim's predicate sees it. */
export function rowToQueued(r: Record<string, any>): QueuedJob {
  const routing = r.arch === null || r.arch === undefined
    ? routingOf(JSON.parse(r.spec ?? "{}"))
    : { arch: r.arch, labels: r.labels ?? "{}" };
  return {
    id: r.id,
    arch: JSON.parse(routing.arch),
    labels: JSON.parse(routing.labels),
    failedOn: JSON.parse(r.failed_on ?? "[]"),
  };
}

/** A backends table row as a Backend. */
export function rowToBackend(r: Record<string, any>): Backend {
  return {
    addr: r.addr,
    arch: storedArch(JSON.parse(r.arch)),
    labels: JSON.parse(r.labels),
    maxJobs: Number(r.max_jobs),
    ...(r.tls ? { tls: JSON.parse(r.tls) } : {}),
  };
}

/** A Backend as the backends table's columns, in order: addr, arch, max_jobs, labels, tls. */
export function backendRow(b: Backend): [string, string, number, string, string | null] {
  return [
    b.addr,
    JSON.stringify(b.arch),
    b.maxJobs,
    JSON.stringify(b.labels),
    b.tls ? JSON.stringify(b.tls) : null,
  ];
}

/**
 * A stored arch: one name, or (databases of the first server) a list, which
 * was "any" when empty: one name stays itself, any other list is `*` (the
 * daemon builds what it runs).
 */
function storedArch(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length === 1) {
    try {
      return normalizeArch(String(v[0]));
    } catch { /* an old, unknown name: let the daemon say */ }
  }
  return "*";
}
