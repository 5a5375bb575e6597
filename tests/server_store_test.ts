/**
 * The build server's job store on a real SQLite file and a real PostgreSQL:
 * the queue's order, claims (of any job, and of the oldest a backend can
 * run), daemon-failure retries, leases, logs and backends; databases made
 * by the first server's schema; and many claims at once from two
 * connections never take one job twice.
 */
import { assert, assertEquals } from "./assert.ts";
import { withTempDir } from "./support/tmp.ts";
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import { SqliteStore } from "../lib/server/store_sqlite.ts";
import { PostgresStore } from "../lib/server/store_postgres.ts";
import type { JobSpec, QueuedJob, Store } from "../lib/server/types.ts";
import { havePostgres, withDatabase } from "./support/postgres.ts";

const spec = (n: number, more: Partial<JobSpec> = {}): JobSpec => ({
  files: [{ name: `p${n}.yaml`, content: `# ${n}` }],
  ...more,
});

/** A claim predicate as a backend of `arch` (or `*`) with `labels` has it. */
const runnableBy = (arch: string, labels: Record<string, string> = {}) => (q: QueuedJob) =>
  q.arch.every((a) => arch === "*" || a === arch) &&
  Object.entries(q.labels).every(([k, v]) => labels[k] === v);

/** What every store does the same. */
async function behaves(store: Store): Promise<void> {
  const a = await store.createJob(spec(1));
  const b = await store.createJob(spec(2));
  assertEquals((await store.listJobs("queued")).map((j) => j.id), [a.id, b.id]);

  // The oldest first; the claim records the server, the backend and the attempt.
  const got = await store.claimJob("s1", "tcp://x:1");
  assertEquals([got?.id, got?.status, got?.server, got?.backend, got?.attempts], [
    a.id,
    "running",
    "s1",
    "tcp://x:1",
    1,
  ]);
  assertEquals(await store.runningByBackend(), { "tcp://x:1": 1 });

  // Another server's finish is refused; the owner's is kept.
  assertEquals(await store.finishJob(a.id, "s2", { status: "failed", error: "x" }), false);
  assert(await store.finishJob(a.id, "s1", { status: "succeeded", packages: ["x86_64/p.apk"] }));
  const done = await store.getJob(a.id);
  assertEquals([done?.status, done?.packages], ["succeeded", ["x86_64/p.apk"]]);

  // A running job whose server went silent goes back to the queue; a live one stays.
  await store.claimJob("s1", "tcp://x:1");
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(await store.requeue({ leaseMs: 60_000 }), []);
  assertEquals(await store.requeue({ leaseMs: 10 }), [b.id]);
  assertEquals((await store.getJob(b.id))?.status, "queued");
  const again = await store.claimJob("s2", "tcp://x:1");
  assertEquals([again?.id, again?.attempts], [b.id, 2]);
  assertEquals((await store.runs(b.id)).map((r) => [r.server, r.attempt]), [["s1", 1], ["s2", 2]]);
  assertEquals(await store.claimJob("s2", "tcp://x:1"), undefined);

  // Logs in order, read from a point on.
  await store.appendLog(b.id, ["one", "two"]);
  await store.appendLog(b.id, ["three"]);
  const log = await store.readLog(b.id);
  assertEquals(log.map((l) => l.line), ["one", "two", "three"]);
  assertEquals((await store.readLog(b.id, log[1].seq)).map((l) => l.line), ["three"]);

  // Backends: added, replaced by address (with TLS files), removed.
  await store.putBackend({ addr: "tcp://x:1", arch: "*", maxJobs: 0, labels: {} });
  const tls = { tlsCaCert: "/etc/ca.pem", tlsServerName: "bk" };
  await store.putBackend({
    addr: "tcp://x:1",
    arch: "x86_64",
    maxJobs: 4,
    labels: { a: "b" },
    tls,
  });
  await store.putBackend({ addr: "unix:///run/b.sock", arch: "*", maxJobs: 0, labels: {} });
  assertEquals(await store.listBackends(), [
    { addr: "tcp://x:1", arch: "x86_64", maxJobs: 4, labels: { a: "b" }, tls },
    { addr: "unix:///run/b.sock", arch: "*", maxJobs: 0, labels: {} },
  ]);
  assert(await store.removeBackend("tcp://x:1"));
  assertEquals(await store.removeBackend("tcp://x:1"), false);
}

/** Claims with a predicate: the oldest job the backend can run, and retries after a daemon failure. */
async function claimsByBackend(store: Store): Promise<void> {
  const arm = await store.createJob(spec(1, { arch: ["aarch64"] }));
  const big = await store.createJob(spec(2, { arch: ["x86_64"], labels: { tier: "big" } }));
  const any = await store.createJob(spec(3));
  const x86 = await store.createJob(spec(4, { arch: ["x86_64"] }));
  // What the predicate sees: the routing columns, never the files.
  const seen: QueuedJob[] = [];
  assertEquals(await store.claimJob("s", "b", (q) => (seen.push(q), false)), undefined);
  assertEquals(seen, [
    { id: arm.id, arch: ["aarch64"], labels: {}, failedOn: [] },
    { id: big.id, arch: ["x86_64"], labels: { tier: "big" }, failedOn: [] },
    { id: any.id, arch: [], labels: {}, failedOn: [] },
    { id: x86.id, arch: ["x86_64"], labels: {}, failedOn: [] },
  ]);
  // A plain x86_64 backend passes over the aarch64 job and the one that selects tier=big.
  const first = await store.claimJob("s", "tcp://plain:1", runnableBy("x86_64"));
  assertEquals([first?.id, first?.backend], [any.id, "tcp://plain:1"]);
  assertEquals((await store.claimJob("s", "tcp://plain:1", runnableBy("x86_64")))?.id, x86.id);
  assertEquals(await store.claimJob("s", "tcp://plain:1", runnableBy("x86_64")), undefined);
  const onBig = await store.claimJob("s", "tcp://big:1", runnableBy("x86_64", { tier: "big" }));
  assertEquals(onBig?.id, big.id);
  // The arm job is still queued: nothing took it.
  assertEquals((await store.listJobs("queued")).map((j) => j.id), [arm.id]);

  // A daemon failure puts the job back with the backends it failed on; only its server may.
  assertEquals(await store.retryJob(big.id, "other", ["tcp://big:1"]), false);
  assert(await store.retryJob(big.id, "s", ["tcp://big:1"]));
  const back = await store.getJob(big.id);
  assertEquals([back?.status, back?.failedOn, back?.server], [
    "queued",
    ["tcp://big:1"],
    undefined,
  ]);
  const retried = await store.claimJob("s", "tcp://big:2", (q) => q.failedOn.length === 1);
  assertEquals([retried?.id, retried?.attempts, retried?.failedOn], [big.id, 2, ["tcp://big:1"]]);
  assertEquals((await store.runs(big.id)).map((r) => r.backend), ["tcp://big:1", "tcp://big:2"]);
  assertEquals(await store.retryJob(big.id, "s", ["tcp://big:1", "tcp://big:2"]), true);
}

Deno.test("job store: SQLite", () =>
  withTempDir(async (dir) => {
    const store = SqliteStore.open(`${dir}/db`);
    try {
      await behaves(store);
    } finally {
      await store.close();
    }
    // Reopened, everything is there.
    const again = SqliteStore.open(`${dir}/db`);
    try {
      assertEquals((await again.listJobs()).map((j) => j.status), ["succeeded", "running"]);
    } finally {
      await again.close();
    }
  }));

Deno.test({
  name: "job store: PostgreSQL",
  ignore: !havePostgres,
  fn: () =>
    withDatabase(async (url) => {
      const store = await PostgresStore.open(url);
      try {
        await behaves(store);
      } finally {
        await store.close();
      }
    }),
});

/** Runs `fn` on a fresh store: SQLite, or PostgreSQL. */
async function onStore(kind: "sqlite" | "postgres", fn: (s: Store) => Promise<void>) {
  const run = async (store: Store) => {
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };
  if (kind === "sqlite") return await withTempDir((dir) => run(SqliteStore.open(`${dir}/db`)));
  await withDatabase(async (url) => run(await PostgresStore.open(url)));
}

Deno.test("job store: SQLite, claims of the oldest job a backend can run", () =>
  onStore("sqlite", claimsByBackend));

Deno.test({
  name: "job store: PostgreSQL, claims of the oldest job a backend can run",
  ignore: !havePostgres,
  fn: () => onStore("postgres", claimsByBackend),
});

/** The first server's tables (arch a list per backend; no routing columns), with its rows. */
const FIRST_SCHEMA = `
CREATE TABLE jobs (
  seq %SERIAL% PRIMARY KEY, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL, spec TEXT NOT NULL,
  created BIGINT NOT NULL, started BIGINT, finished BIGINT, heartbeat BIGINT, server TEXT,
  backend TEXT, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, packages TEXT
);
CREATE TABLE backends (
  addr TEXT PRIMARY KEY, arch TEXT NOT NULL, max_jobs INTEGER NOT NULL, labels TEXT NOT NULL
);
INSERT INTO jobs (id, status, spec, created) VALUES
  ('j-old-1', 'queued', '{"files":[{"name":"a.yaml","content":""}],"arch":["arm64"]}', 1),
  ('j-old-2', 'queued', '{"files":[{"name":"b.yaml","content":""}]}', 2);
INSERT INTO backends (addr, arch, max_jobs, labels) VALUES
  ('tcp://any:1', '[]', 1, '{}'),
  ('tcp://one:1', '["x86_64"]', 2, '{"tier":"big"}'),
  ('tcp://two:1', '["x86_64","aarch64"]', 1, '{}');
`;

/** What a store opened on the first server's database reads and does. */
async function readsFirstSchema(store: Store): Promise<void> {
  assertEquals(await store.listBackends(), [
    { addr: "tcp://any:1", arch: "*", maxJobs: 1, labels: {} },
    { addr: "tcp://one:1", arch: "x86_64", maxJobs: 2, labels: { tier: "big" } },
    { addr: "tcp://two:1", arch: "*", maxJobs: 1, labels: {} },
  ]);
  // The old jobs route by their specs (arm64 is aarch64); new ones are stored beside them.
  const fresh = await store.createJob(spec(9, { arch: ["x86_64"], labels: { tier: "big" } }));
  const seen: QueuedJob[] = [];
  await store.claimJob("s", "b", (q) => (seen.push(q), false));
  assertEquals(seen.map((q) => [q.id, q.arch, q.labels]), [
    ["j-old-1", ["aarch64"], {}],
    ["j-old-2", [], {}],
    [fresh.id, ["x86_64"], { tier: "big" }],
  ]);
  const got = await store.claimJob("s", "tcp://one:1", runnableBy("x86_64", { tier: "big" }));
  assertEquals(got?.id, "j-old-2");
  assert(await store.retryJob("j-old-2", "s", ["tcp://one:1"]));
  assertEquals((await store.getJob("j-old-2"))?.failedOn, ["tcp://one:1"]);
  await store.putBackend({ addr: "tcp://two:1", arch: "aarch64", maxJobs: 0, labels: {} });
  assertEquals((await store.listBackends())[2].arch, "aarch64");
}

Deno.test("job store: SQLite, a database of the first server's schema", () =>
  withTempDir(async (dir) => {
    const db = new DatabaseSync(`${dir}/db`);
    db.exec(FIRST_SCHEMA.replace("%SERIAL%", "INTEGER"));
    db.close();
    const store = SqliteStore.open(`${dir}/db`);
    try {
      await readsFirstSchema(store);
    } finally {
      await store.close();
    }
  }));

Deno.test({
  name: "job store: PostgreSQL, a database of the first server's schema",
  ignore: !havePostgres,
  fn: () =>
    withDatabase(async (url) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(FIRST_SCHEMA.replace("%SERIAL%", "BIGSERIAL"));
      await c.end();
      const store = await PostgresStore.open(url);
      try {
        await readsFirstSchema(store);
      } finally {
        await store.close();
      }
    }),
});

Deno.test({
  name: "job store: PostgreSQL, two servers claiming at once never take the same job",
  ignore: !havePostgres,
  fn: () =>
    withDatabase(async (url) => {
      // Two stores (two pools of connections), as two server processes have.
      const [one, two] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
      try {
        const ids = new Set<string>();
        for (let i = 0; i < 60; i++) ids.add((await one.createJob(spec(i))).id);
        const claimAll = async (store: Store, server: string) => {
          const got: string[] = [];
          for (;;) {
            const job = await store.claimJob(server, "tcp://x:1");
            if (!job) return got;
            got.push(job.id);
          }
        };
        // Four claimers on each store, all at once.
        const taken = await Promise.all([
          ...[1, 2, 3, 4].map((n) => claimAll(one, `one-${n}`)),
          ...[1, 2, 3, 4].map((n) => claimAll(two, `two-${n}`)),
        ]);
        const all = taken.flat();
        assertEquals(all.length, ids.size, "every job taken once");
        assertEquals(new Set(all), ids);
        const runs = await one.runs();
        assertEquals(runs.length, ids.size);
        assert(taken.slice(0, 4).flat().length > 0 && taken.slice(4).flat().length > 0);
      } finally {
        await one.close();
        await two.close();
      }
    }),
});

Deno.test({
  name: "job store: PostgreSQL, servers claiming by arch at once take each job once, rightly",
  ignore: !havePostgres,
  fn: () =>
    withDatabase(async (url) => {
      const [one, two] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
      try {
        const archOf = new Map<string, string>();
        for (let i = 0; i < 60; i++) {
          const arch = i % 3 ? "x86_64" : "aarch64";
          archOf.set((await one.createJob(spec(i, { arch: [arch] }))).id, arch);
        }
        const claimAll = async (store: Store, server: string, arch: string) => {
          const got: string[] = [];
          for (;;) {
            const job = await store.claimJob(server, `tcp://${arch}:1`, runnableBy(arch));
            if (!job) return got.map((id) => [id, arch]);
            got.push(job.id);
          }
        };
        // On each store, two claimers per arch, all at once.
        const taken = (await Promise.all(
          [one, two].flatMap((store, s) =>
            ["x86_64", "aarch64"].flatMap((arch) =>
              [1, 2].map((n) => claimAll(store, `s${s}-${arch}-${n}`, arch))
            )
          ),
        )).flat();
        assertEquals(taken.length, archOf.size, "every job taken once");
        assertEquals(new Set(taken.map(([id]) => id)).size, archOf.size);
        for (const [id, arch] of taken) assertEquals(arch, archOf.get(id), id);
        assertEquals((await one.runs()).length, archOf.size);
      } finally {
        await one.close();
        await two.close();
      }
    }),
});
