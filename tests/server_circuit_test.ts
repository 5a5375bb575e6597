/**
 * The build server's circuit breaker and TLS backends, on the real
 * buildkitd: a dead daemon's circuit opens while its job finishes on
 * another backend; a job whose daemons keep failing gives up after three
 * daemon failures; a TLS backend from a backends file runs one-file and
 * many-file jobs (the runner connects with the backend's TLS files).
 */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, startTlsDaemon, withTempDir } from "./support/buildkit.ts";
import { freePort, startServer } from "./support/server.ts";
import { ARCH, backendsFile, job, serverArgs, TOKEN, writeProject } from "./support/server_jobs.ts";
import { RemoteClient } from "../lib/server/client.ts";
import { specFromFiles } from "../cli/remote_run.ts";

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "serve: a dead daemon's circuit opens, and its job finishes on another backend",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const dead = `tcp://127.0.0.1:${freePort()}`;
      const file = backendsFile(
        `${dir}/backends.yaml`,
        [
          { addr: dead, arch: ARCH, maxJobs: 1 },
          { addr: ADDR, arch: ARCH, maxJobs: 1 },
        ],
        "failureThreshold: 1\nrecoveryTimeout: 10m\n",
      );
      const server = await startServer(await serverArgs(dir, ["--backends", file]));
      try {
        const c = new RemoteClient(server.url, TOKEN);
        // Two jobs at once, one slot each: one of them is sent to the dead daemon.
        const ids = [
          (await c.submit(job(dir, "first", {}, 2))).id,
          (await c.submit(job(dir, "second", {}, 2))).id,
        ];
        const done = await Promise.all(ids.map((id) => c.wait(id)));
        for (const d of done) assertEquals([d.status, d.backend], ["succeeded", ADDR], d.error);
        const runs = await Promise.all(ids.map((id) => c.runs(id)));
        const moved = ids.filter((_, i) => runs[i].length === 2);
        assertEquals(moved.length, 1, JSON.stringify(runs));
        const i = ids.indexOf(moved[0]);
        assertEquals(runs[i].map((r) => r.backend), [dead, ADDR]);
        assertEquals(runs[1 - i].map((r) => r.backend), [ADDR], "never sent to the open circuit");
        assertEquals(done[i].failedOn, [dead]);
        let log = "";
        await c.logs(moved[0], (t) => log += t);
        assertStringIncludes(log, `the daemon at ${dead} failed (1 of at most 3 daemon failures)`);
        assertStringIncludes(log, "cannot reach BuildKit");
        assertStringIncludes(log, "back in the queue for another backend");
        assertStringIncludes(log, `attempt 2 on `);
        // The server's view of the daemons: the dead one's circuit is open.
        const view = new Map((await c.backends()).map((b) => [b.addr, b]));
        assertEquals([view.get(dead)?.circuit, view.get(dead)?.failures], ["open", 1]);
        assertEquals(view.get(ADDR)?.circuit, "closed");
        assertEquals(view.get(ADDR)?.platforms?.native, ARCH);
        assertStringIncludes(server.log(), `backend ${dead}: circuit open`);

        // A job only the dead daemon may run waits for its circuit, and says so.
        await c.addBackend({ addr: dead, arch: ARCH, maxJobs: 1, labels: { only: "dead" } });
        const stuck = await c.submit(job(dir, "stuck", { labels: { only: "dead" } }));
        assertStringIncludes(stuck.waiting ?? "", `circuit open: ${dead}`);
        await new Promise((r) => setTimeout(r, 1200));
        assertEquals((await c.job(stuck.id)).attempts, 0);
      } finally {
        await server.stop();
      }
    }),
});

Deno.test({
  name: "serve: a job whose daemons keep failing gives up after three daemon failures",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const dead = `tcp://127.0.0.1:${freePort()}`;
      const file = backendsFile(
        `${dir}/backends.yaml`,
        [{ addr: dead, arch: ARCH, maxJobs: 1 }],
        "failureThreshold: 5\n",
      );
      const server = await startServer(await serverArgs(dir, ["--backends", file]));
      try {
        const c = new RemoteClient(server.url, TOKEN);
        const j = await c.submit(job(dir, "doomed"));
        const done = await c.wait(j.id);
        assertEquals([done.status, done.attempts], ["failed", 3]);
        assertStringIncludes(done.error ?? "", "cannot reach BuildKit");
        assertStringIncludes(done.error ?? "", "(the daemons failed 3 time(s); gave up)");
        assertEquals(done.failedOn, [dead, dead, dead]);
        let log = "";
        await c.logs(j.id, (t) => log += t);
        assertEquals(log.match(/back in the queue for another backend/g)?.length, 2, log);
        // Three failures in a row, under the threshold of five: the circuit stays closed.
        assertEquals((await c.backends())[0].failures, 3);
        assertEquals((await c.backends())[0].circuit, "closed");
      } finally {
        await server.stop();
      }
    }),
});

Deno.test({
  name: "serve: a TLS backend from a backends file runs one-file and many-file jobs",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const tls = await startTlsDaemon(12100 + Math.floor(Math.random() * 300));
      try {
        // TLS files relative to the backends file, which sits beside them.
        const file = backendsFile(`${tls.dir}/backends.yaml`, [{
          addr: tls.addr,
          arch: ARCH,
          maxJobs: 2,
          tlscacert: "ca.pem",
          tlscert: "client.pem",
          tlskey: "client.key",
        }]);
        const server = await startServer(await serverArgs(dir, ["--backends", file]));
        try {
          const c = new RemoteClient(server.url, TOKEN);
          const listed = await c.backends();
          assertEquals(listed[0].tls?.tlsCaCert, `${tls.dir}/ca.pem`);
          const one = await c.submit(job(dir, "secure"));
          const files = [writeProject(dir, "left"), writeProject(dir, "right")];
          const many = await c.submit(
            specFromFiles(files, { pipelineDir: [`${dir}/pipelines`], arch: [ARCH] }),
          );
          for (const id of [one.id, many.id]) {
            const done = await c.wait(id);
            let log = "";
            await c.logs(id, (t) => log += t);
            assertEquals([done.status, done.backend], ["succeeded", tls.addr], log);
          }
          assertEquals((await c.job(one.id)).packages, [`${ARCH}/secure-1.0.0-r0.apk`]);
          assertEquals((await c.job(many.id)).packages, [
            `${ARCH}/left-1.0.0-r0.apk`,
            `${ARCH}/right-1.0.0-r0.apk`,
          ]);
        } finally {
          await server.stop();
        }
      } finally {
        await tls.stop();
      }
    }),
});
