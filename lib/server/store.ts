/**
 * Opening the server's state: an embedded SQLite file by default (nothing to
 * install), PostgreSQL for several server replicas sharing one queue.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { Job, JobSpec, Store } from "./types.ts";

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
  };
}
