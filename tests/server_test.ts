/**
 * The build server (`melange2 serve`) and its client (`melange2 remote`), on
 * the real buildkitd, with a real SQLite file and a real PostgreSQL (the
 * set-up's, on loopback): submit, watch, fetch; restart mid-build and lose
 * nothing; two servers on one PostgreSQL never build the same job twice.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { type ServerProcess, startServer } from "./support/server.ts";
import { ARCH, buildFile, serverArgs, TOKEN, until, writeProject } from "./support/server_jobs.ts";
import { runCli } from "./cli.ts";
import { RemoteClient } from "../lib/server/client.ts";
import { specFromFiles } from "../cli/remote_run.ts";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { havePostgres as postgresUp, withDatabase } from "./support/postgres.ts";

const { apkContents } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };
const havePostgres = haveDaemon && postgresUp;

Deno.test({
  name:
    "serve with SQLite: submit, watch the log, fetch the package and the index; writes need the token",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const server = await startServer(await serverArgs(dir));
      try {
        const anon = new RemoteClient(server.url);
        const c = new RemoteClient(server.url, TOKEN);
        const file = writeProject(dir, "served");
        const spec = specFromFiles([file], { pipelineDir: [`${dir}/pipelines`], arch: [ARCH] });
        // No token, or a wrong one: refused, and nothing was queued.
        for (const client of [anon, new RemoteClient(server.url, "wrong")]) {
          const err = await client.submit(spec).catch((e) => e as Error);
          assertStringIncludes(String(err), "401");
        }
        assertEquals(await c.list(), []);

        const job = await c.submit(spec);
        assertEquals(job.status, "queued");
        let log = "";
        await c.logs(job.id, (t) => log += t, true);
        const done = await c.wait(job.id);
        assertEquals(done.status, "succeeded", `${done.error}\n${log}`);
        assertStringIncludes(log, "hello from served on the server");
        assertStringIncludes(log, "succeeded");
        assertEquals(done.packages, [`${ARCH}/served-1.0.0-r0.apk`]);

        // The artifact over HTTP is the file in the repository, and it holds the job's files.
        const apk = await c.artifact(done.packages![0]);
        assertEquals(apk, new Uint8Array(readFileSync(`${dir}/data/repo/${done.packages![0]}`)));
        const names = await apkContents(`${dir}/data/repo/${done.packages![0]}`);
        assert(names.includes("usr/share/served/source.txt"), names.join(" "));
        assert(names.includes("usr/share/greeting"), names.join(" "));
        assert((await c.artifact(`${ARCH}/APKINDEX.tar.gz`)).length > 0);
        // The server is an APK repository: the signed index over HTTP resolves the package,
        // checked with the public key it publishes.
        const resolved = await runCli([
          "env",
          "resolve",
          "served",
          "--repository",
          `${server.url}/repo`,
          "--keyring",
          `${server.url}/repo/server.rsa.pub`,
          "--arch",
          ARCH,
          "--no-cache",
        ]);
        assertEquals(resolved.code, 0, resolved.stderr);
        assertStringIncludes(resolved.stdout, "served");
        // The repository is read-only, and nothing outside it is served.
        const put = await fetch(`${server.url}/repo/${ARCH}/x.apk`, {
          method: "PUT",
          headers: { authorization: `Bearer ${TOKEN}` },
          body: "x",
        });
        await put.body?.cancel();
        assertEquals(put.status, 405);
        const escape = await fetch(`${server.url}/repo/..%2Fmelange2.db`);
        await escape.body?.cancel();
        assertEquals(escape.status, 404);

        // Backends: the one from --buildkit-addr; add and remove need the token.
        assertEquals((await c.backends()).map((b) => [b.addr, b.maxJobs]), [[ADDR, 2]]);
        assertStringIncludes(
          String(await anon.addBackend({ addr: "tcp://127.0.0.1:1" }).catch((e) => e)),
          "401",
        );
        await c.addBackend({ addr: "tcp://127.0.0.1:1", maxJobs: 3 });
        assertEquals((await c.backends()).length, 2);
        await c.removeBackend("tcp://127.0.0.1:1");
        assertEquals((await c.backends()).map((b) => b.addr), [ADDR]);

        // The CLI: submit and follow to the end, then read the same server.
        const viaCli = await runCli([
          "remote",
          "--server",
          server.url,
          "--token-file",
          `${dir}/token`,
          "submit",
          writeProject(dir, "cli"),
          "--pipeline-dir",
          `${dir}/pipelines`,
          "--arch",
          ARCH,
          "--wait",
        ]);
        assertEquals(viaCli.code, 0, viaCli.stderr);
        assertStringIncludes(viaCli.stderr, "hello from cli on the server");
        const cliJob = viaCli.stdout.trim();
        assertEquals((await c.job(cliJob)).packages, [`${ARCH}/cli-1.0.0-r0.apk`]);
        const listed = await runCli(["remote", "--server", server.url, "list"]);
        assertEquals(listed.code, 0, listed.stderr);
        assertStringIncludes(listed.stdout, `${job.id}\tsucceeded\tserved.yaml`);
        assertStringIncludes(listed.stdout, `${cliJob}\tsucceeded\tcli.yaml`);
        const status = await runCli(["remote", "--server", server.url, "status", cliJob]);
        assertEquals(JSON.parse(status.stdout).status, "succeeded");
        // A bad job is one clear error, and queues nothing.
        const bad = await c.submit({ files: [{ name: "../x.yaml", content: "" }] }).catch((e) => e);
        assertStringIncludes(String(bad), "400");
        assertEquals((await c.list()).length, 2);
      } finally {
        await server.stop();
      }
    }),
});

Deno.test({
  name: "serve: a job of several files builds them in dependency order, whatever their order",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const server = await startServer(await serverArgs(dir));
      try {
        const c = new RemoteClient(server.url, TOKEN);
        const base = writeProject(dir, "base");
        // `top` needs `base` in its build environment, and is submitted first.
        const top = `${dir}/top.yaml`;
        writeFileSync(
          top,
          buildFile("top").replace("packages: [busybox]", "packages: [busybox, base]")
            .replace(
              "  - name: take the source",
              `  - name: read what base installed
    runs: |
      mkdir -p "\${{targets.destdir}}/usr/share/top"
      cat /usr/share/base/source.txt > "\${{targets.destdir}}/usr/share/top/saw"
  - name: take the source`,
            ),
        );
        mkdirSync(`${dir}/top`);
        writeFileSync(`${dir}/top/source.txt`, "source of top\n");
        const spec = specFromFiles([top, base], {
          pipelineDir: [`${dir}/pipelines`],
          arch: [ARCH],
        });
        const job = await c.submit(spec);
        const done = await c.wait(job.id);
        let log = "";
        await c.logs(job.id, (t) => log += t, false);
        assertEquals(done.status, "succeeded", `${done.error}\n${log}`);
        assertStringIncludes(log, "dependency order");
        assertEquals(done.packages, [`${ARCH}/base-1.0.0-r0.apk`, `${ARCH}/top-1.0.0-r0.apk`]);
        const names = await apkContents(`${dir}/data/repo/${ARCH}/top-1.0.0-r0.apk`);
        assert(names.includes("usr/share/top/saw"), names.join(" "));
      } finally {
        await server.stop();
      }
    }),
});

/** Kills the server while the job's step sleeps, starts it again, and checks nothing was lost. */
async function restartMidBuild(dir: string, extra: string[], again: string[]): Promise<void> {
  const args = await serverArgs(dir, extra);
  let server: ServerProcess = await startServer(args);
  try {
    const c0 = new RemoteClient(server.url, TOKEN);
    const quick = await c0.submit(
      specFromFiles([writeProject(dir, "first")], {
        pipelineDir: [`${dir}/pipelines`],
        arch: [ARCH],
      }),
    );
    assertEquals((await c0.wait(quick.id)).status, "succeeded");
    const slow = await c0.submit(
      specFromFiles([writeProject(dir, "slow", 6)], {
        pipelineDir: [`${dir}/pipelines`],
        arch: [ARCH],
      }),
    );
    await until(c0, slow.id, (j) => j.status === "running");
    // A crash, not a clean stop: the job stays `running` in the database.
    await server.stop("SIGKILL");
    server = await startServer([...args, ...again]);
    const c = new RemoteClient(server.url, TOKEN);
    const done = await c.wait(slow.id);
    assertEquals(done.status, "succeeded", done.error);
    assertEquals(done.attempts, 2, "taken again after the restart");
    assertEquals((await c.runs(slow.id)).length, 2);
    // The finished job is kept as it was.
    const kept = await c.job(quick.id);
    assertEquals([kept.status, kept.attempts, kept.packages], [
      "succeeded",
      1,
      [`${ARCH}/first-1.0.0-r0.apk`],
    ]);
    let log = "";
    await c.logs(slow.id, (t) => log += t);
    assertStringIncludes(log, "attempt 2");
    assertEquals(done.packages, [`${ARCH}/slow-1.0.0-r0.apk`]);
  } finally {
    await server.stop();
  }
}

Deno.test({
  name: "serve with SQLite: a server killed mid-build takes the job again when it restarts",
  ...needs,
  fn: () => withTempDir((dir) => restartMidBuild(dir, [], [])),
});

Deno.test({
  name: "serve with PostgreSQL: a server killed mid-build; its job is taken again after the lease",
  ...needs,
  ignore: !havePostgres,
  fn: () =>
    withTempDir((dir) =>
      withDatabase((url) =>
        restartMidBuild(dir, ["--database", url, "--lease", "3", "--server-id", "a"], [
          "--server-id",
          "b",
        ])
      )
    ),
});

Deno.test({
  name: "serve with PostgreSQL: two servers on one database never build the same job twice",
  ...needs,
  ignore: !havePostgres,
  fn: () =>
    withTempDir((dir) =>
      withDatabase(async (url) => {
        const args = await serverArgs(dir, ["--database", url, "--lease", "30"]);
        const one = await startServer([...args, "--server-id", "one"]);
        const two = await startServer([...args, "--server-id", "two"]);
        try {
          const c = new RemoteClient(one.url, TOKEN);
          const ids: string[] = [];
          for (let i = 0; i < 6; i++) {
            const file = writeProject(dir, `pkg${i}`, 1);
            const spec = specFromFiles([file], { pipelineDir: [`${dir}/pipelines`], arch: [ARCH] });
            ids.push((await c.submit(spec)).id);
          }
          for (const id of ids) {
            const done = await c.wait(id);
            assertEquals(done.status, "succeeded", done.error);
          }
          // Each job was taken once, by one server or the other, and never by both.
          const runs = await c.runs(ids[0]).then(() => Promise.all(ids.map((id) => c.runs(id))));
          for (const [i, r] of runs.entries()) {
            assertEquals(r.length, 1, `${ids[i]}: ${JSON.stringify(r)}`);
          }
          const started = (log: string) =>
            new Set([...log.matchAll(/job (\S+) started/g)].map((m) => m[1]));
          const byOne = started(one.log()), byTwo = started(two.log());
          assertEquals([...byOne].filter((id) => byTwo.has(id)), [], "no job started on both");
          assertEquals([...byOne, ...byTwo].sort(), [...ids].sort());
          console.log(`server one built ${byOne.size} jobs, server two ${byTwo.size}`);
        } finally {
          await one.stop();
          await two.stop();
        }
      })
    ),
});
