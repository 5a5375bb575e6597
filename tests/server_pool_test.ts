/**
 * The build server's backends as the many-file build's pool: `serve
 * --backends FILE` (Go melange2's format), label selectors and architectures
 * deciding where a job runs (and why it waits when nothing can run it), and
 * bad backends, jobs, files and flags refused with one clear error. On the
 * real buildkitd (by its socket and by its TCP address: two backends), a
 * real SQLite file and a real PostgreSQL. Circuits and TLS: server_circuit_test.ts.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { startServer } from "./support/server.ts";
import { havePostgres, withDatabase } from "./support/postgres.ts";
import {
  ARCH,
  backendsFile,
  FOREIGN,
  job,
  serverArgs,
  TCP,
  TOKEN,
  writeProject,
} from "./support/server_jobs.ts";
import { runCli } from "./cli.ts";
import { RemoteClient } from "../lib/server/client.ts";
import type { JobSpec } from "../lib/server/types.ts";

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };

/** Label routing, waiting jobs and bad input, on one server (SQLite or PostgreSQL). */
async function routesByLabel(dir: string, database: string[]): Promise<void> {
  const file = backendsFile(`${dir}/backends.yaml`, [
    { addr: ADDR, arch: ARCH, labels: { tier: "unix" }, maxJobs: 2 },
    { addr: TCP, arch: ARCH, labels: { tier: "tcp" }, maxJobs: 2 },
  ]);
  const server = await startServer(await serverArgs(dir, ["--backends", file, ...database]));
  try {
    const c = new RemoteClient(server.url, TOKEN);
    assertEquals(
      (await c.backends()).map((b) => [b.addr, b.arch, b.labels, b.maxJobs]),
      [
        [TCP, ARCH, { tier: "tcp" }, 2],
        [ADDR, ARCH, { tier: "unix" }, 2],
      ].sort((a, b) => String(a[0]) < String(b[0]) ? -1 : 1),
    );

    // Both backends idle: the selector alone decides (the TCP one is listed first).
    const onUnix = [
      await c.submit(job(dir, "unix-a", { labels: { tier: "unix" } })),
      await c.submit(job(dir, "unix-b", { labels: { tier: "unix" } })),
    ];
    const onTcp = await c.submit(job(dir, "tcp-a", { labels: { tier: "tcp" } }));
    for (const [j, addr] of [[onUnix[0], ADDR], [onUnix[1], ADDR], [onTcp, TCP]] as const) {
      const done = await c.wait(j.id);
      assertEquals(done.status, "succeeded", done.error);
      assertEquals(done.backend, addr, j.id);
      assertEquals((await c.runs(j.id)).map((r) => r.backend), [addr]);
    }

    // No backend runs the architecture: queued, and the job says why (the CLI says it at once).
    const foreign = await c.submit(job(dir, "foreign", { arch: [FOREIGN] }));
    assertEquals(foreign.status, "queued");
    assertStringIncludes(foreign.waiting ?? "", `no backend runs ${FOREIGN}`);
    const gpuCli = await runCli([
      "remote",
      "--server",
      server.url,
      "--token",
      TOKEN,
      "submit",
      writeProject(dir, "gpu"),
      "--pipeline-dir",
      `${dir}/pipelines`,
      "--arch",
      ARCH,
      "--label",
      "tier=gpu",
    ]);
    assertEquals(gpuCli.code, 0, gpuCli.stderr);
    const gpu = gpuCli.stdout.trim();
    assertStringIncludes(gpuCli.stderr, `note: job ${gpu} waits: no backend that runs ${ARCH}`);
    assertStringIncludes(gpuCli.stderr, "has the labels tier=gpu");
    assertStringIncludes(gpuCli.stderr, "remote backends add ADDR");
    await new Promise((r) => setTimeout(r, 1500)); // several rounds of the job loop
    const status = await runCli(["remote", "--server", server.url, "status", gpu]);
    const shown = JSON.parse(status.stdout);
    assertEquals([shown.status, shown.attempts, shown.spec.labels], ["queued", 0, { tier: "gpu" }]);
    assertStringIncludes(shown.waiting, "tier=gpu");
    const listed = await runCli(["remote", "--server", server.url, "list", "--status", "queued"]);
    assertStringIncludes(listed.stdout, `${foreign.id}\tqueued\tforeign.yaml\twaits: no backend`);

    // A backend with the label (the TCP one, relabelled from the CLI) takes it.
    const add = await runCli([
      "remote",
      "--server",
      server.url,
      "--token",
      TOKEN,
      "backends",
      "add",
      TCP,
      "--arch",
      ARCH,
      "--label",
      "tier=gpu",
      "--label",
      "zone=b",
      "--max-jobs",
      "1",
    ]);
    assertEquals(add.code, 0, add.stderr);
    const gpuDone = await c.wait(gpu);
    assertEquals([gpuDone.status, gpuDone.backend], ["succeeded", TCP], gpuDone.error);
    const shownBackends = await runCli(["remote", "--server", server.url, "backends"]);
    assertStringIncludes(
      shownBackends.stdout,
      `${TCP}\tarch=${ARCH}\tmaxJobs=1\tlabels=tier=gpu,zone=b\tcircuit=closed`,
    );
    // The foreign job still waits, still saying why.
    const still = await c.job(foreign.id);
    assertEquals([still.status, still.attempts], ["queued", 0]);
    assertStringIncludes(still.waiting ?? "", `no backend runs ${FOREIGN}`);

    // Bad backends and bad jobs: one 400 each, naming what is wrong; nothing is stored.
    const before = await c.backends();
    const bad: [unknown, string][] = [
      [{ addr: "buildkitd:1234" }, "expected unix:///PATH or tcp://HOST:PORT"],
      [{ arch: ARCH }, "addr is required"],
      [{ addr: "tcp://x:1", arch: "sparc" }, 'unknown architecture "sparc"'],
      [{ addr: "tcp://x:1", maxJobs: -1 }, "maxJobs: expected a whole number >= 0"],
      [{ addr: "tcp://x:1", maxJobs: "2" }, "maxJobs: expected a whole number >= 0"],
      [{ addr: "tcp://x:1", labels: ["a"] }, "labels must be a mapping of strings"],
      [{ addr: "tcp://x:1", labels: { a: { b: 1 } } }, "labels must be a mapping of strings"],
      [{ addr: "tcp://x:1", max_jobs: 2 }, "unknown field max_jobs"],
      [{ addr: "tcp://x:1", tlscacert: "ca.pem" }, "expected an absolute path on the server"],
      [{ addr: "unix:///x.sock", tlscacert: "/ca.pem" }, "TLS options need a tcp:// address"],
      [["tcp://x:1"], "expected a mapping"],
    ];
    for (const [body, message] of bad) {
      const res = await fetch(`${server.url}/api/v1/backends`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const answer = await res.json();
      assertEquals(res.status, 400, JSON.stringify(body));
      assertStringIncludes(answer.error, message, JSON.stringify(body));
      assert(!answer.error.includes("\n    at "), answer.error);
    }
    const notJson = await fetch(`${server.url}/api/v1/backends`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: "addr: tcp://x:1",
    });
    assertEquals(notJson.status, 400);
    assertStringIncludes((await notJson.json()).error, "a backend is a JSON object");
    assertEquals(await c.backends(), before);
    const cliBad = await runCli([
      "remote",
      "--server",
      server.url,
      "--token",
      TOKEN,
      "backends",
      "add",
      "tcp://x:1",
      "--label",
      "tier",
    ]);
    assertEquals(cliBad.code, 1);
    assertStringIncludes(cliBad.stderr, "--label tier: expected KEY=VALUE");
    const badJobs: [Partial<JobSpec>, string][] = [
      [{ arch: ["sparc"] }, 'unknown architecture "sparc"'],
      [{ labels: { tier: 1 } as any }, 'labels: "tier" must map to a string'],
      [{ labels: ["tier=a"] as any }, "labels must be a mapping"],
    ];
    const jobs = (await c.list()).length;
    for (const [more, message] of badJobs) {
      const err = await c.submit(job(dir, "bad", more)).catch((e) => e as Error);
      assertStringIncludes(String(err), `400 ${message}`);
    }
    assertEquals((await c.list()).length, jobs);
  } finally {
    await server.stop();
  }
}

Deno.test({
  name: "serve --backends with SQLite: label selectors choose the backend; " +
    "a job nothing can run waits and says why; bad backends are a 400",
  ...needs,
  fn: () => withTempDir((dir) => routesByLabel(dir, [])),
});

Deno.test({
  name: "serve --backends with PostgreSQL: label selectors choose the backend; " +
    "a job nothing can run waits and says why; bad backends are a 400",
  ...needs,
  ignore: !haveDaemon || !havePostgres,
  fn: () => withTempDir((dir) => withDatabase((url) => routesByLabel(dir, ["--database", url]))),
});

Deno.test({
  name: "serve: bad backends files and flags are one clear error before it starts",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const serve = (args: string[]) =>
        runCli(["serve", "--data-dir", `${dir}/data`, "--listen", "127.0.0.1:0", ...args]);
      const cases: [string[], string][] = [
        [
          ["--backends", backendsFile(`${dir}/a.yaml`, [{ addr: ADDR, arch: ARCH, maxjobs: 1 }])],
          `${dir}/a.yaml: backends[0]: unknown field maxjobs`,
        ],
        [
          ["--backends", backendsFile(`${dir}/b.yaml`, [{ addr: ADDR }])],
          "arch is required",
        ],
        [["--backends", `${dir}/none.yaml`], `${dir}/none.yaml`],
        [
          [
            "--backends",
            backendsFile(`${dir}/c.yaml`, [{ addr: ADDR, arch: ARCH }]),
            "--max-jobs",
            "2",
          ],
          "--max-jobs is for --buildkit-addr daemons",
        ],
        [
          ["--backends", `${dir}/c.yaml`, "--buildkit-addr", ADDR],
          `backend ${ADDR} is listed twice`,
        ],
        [["--tlscacert", "ca.pem"], "--tlscacert is for --buildkit-addr daemons"],
        [["--buildkit-addr", "localhost:1234"], "expected unix:///PATH or tcp://HOST:PORT"],
      ];
      for (const [args, message] of cases) {
        const res = await serve(args);
        assertEquals(res.code, 1, `${args.join(" ")}\n${res.stderr}`);
        assertStringIncludes(res.stderr, message);
        assert(!res.stderr.includes("    at "), res.stderr);
      }
      // --buildkit-addr with --max-jobs: a backend of arch `*`, that many jobs at once.
      const c = await startServer(
        await serverArgs(dir, ["--buildkit-addr", TCP, "--max-jobs", "1"]),
      );
      try {
        const listed = await new RemoteClient(c.url).backends();
        assertEquals(listed.map((b) => [b.addr, b.arch, b.maxJobs]), [[TCP, "*", 1]]);
      } finally {
        await c.stop();
      }
    }),
});
