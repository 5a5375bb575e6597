/**
 * The build server's job store on a real SQLite file and a real PostgreSQL:
 * the queue's order, claims, leases, logs and backends; and many claims at
 * once from two connections never take one job twice.
 */
import { assert, assertEquals } from "./assert.ts";
import { withTempDir } from "./support/tmp.ts";
import { SqliteStore } from "../lib/server/store_sqlite.ts";
import { PostgresStore } from "../lib/server/store_postgres.ts";
import type { Store } from "../lib/server/types.ts";
import { havePostgres, withDatabase } from "./support/postgres.ts";

const spec = (n: number) => ({ files: [{ name: `p${n}.yaml`, content: `# ${n}` }] });

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

  // Backends: added, replaced by address, removed.
  await store.putBackend({ addr: "tcp://x:1", arch: [], maxJobs: 1, labels: {} });
  await store.putBackend({ addr: "tcp://x:1", arch: ["x86_64"], maxJobs: 4, labels: { a: "b" } });
  assertEquals(await store.listBackends(), [
    { addr: "tcp://x:1", arch: ["x86_64"], maxJobs: 4, labels: { a: "b" } },
  ]);
  assert(await store.removeBackend("tcp://x:1"));
  assertEquals(await store.removeBackend("tcp://x:1"), false);
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
