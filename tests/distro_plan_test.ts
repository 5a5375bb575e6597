/**
 * Planning many build files (lib/distro/plan.ts) and the pieces that need
 * no daemon: the wolfi-os corpus's graph against edges derived by hand from
 * its files, the generated 12-package graph, versions and conflicts as apk
 * ranks them, cycles and the bootstrap way out, Go melange2's backends
 * file, and the circuit breaker on a clock the test moves.
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { sharedPath } from "./shared.ts";
import { withTempDir } from "./support/tmp.ts";
import { runCli } from "./cli.ts";
import { twelvePackages, writeGraph } from "./support/distro_graph.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cyclesMessage, type Plan, planBuilds } from "../lib/distro/plan.ts";
import { pruneCompiled } from "../lib/distro/compilecache.ts";
import { findSources } from "../lib/distro/sources.ts";
import { parseBackends, parseDuration } from "../lib/distro/backends.ts";
import { isDaemonFailure, Pool } from "../lib/distro/pool.ts";
import { type Job, schedule } from "../lib/distro/schedule.ts";
import type { PoolConfig } from "../lib/distro/backends.ts";
import { currentStep, resultsTable, RunDisplay } from "../lib/distro/display.ts";
import { emptyPackage } from "../lib/apk/index.ts";
import { UserError } from "../lib/errors.ts";

const REPO = { repository: "/nonexistent/repo", publicKey: "/nonexistent/repo/key.rsa.pub" };

/** `from -> to` for every edge not to busybox, sorted. */
function edgesOf(plan: Plan, skip = new Set<string>()): string[] {
  return plan.edges.filter((e) => !skip.has(e.to)).map((e) => `${e.from} -> ${e.to}`).sort();
}

/** Every edge's target comes before its source in the plan's order. */
function assertTopological(plan: Plan): void {
  const at = new Map(plan.packages.map((p, i) => [p.name, i]));
  for (const e of plan.edges) {
    assert(at.get(e.to)! < at.get(e.from)!, `${e.to} should come before ${e.from}`);
  }
}

const corpus = sharedPath("corpus", "wolfi-os");

Deno.test({
  name: "plan: the wolfi-os corpus's graph is the one read by hand from its files",
  ignore: !existsSync(corpus),
  fn() {
    const src = findSources([corpus]);
    assertEquals(src.pipelineDirs, [join(corpus, "pipelines")]);
    const plan = planBuilds(src.files, { arch: "x86_64", pipelineDirs: src.pipelineDirs });
    assertEquals(plan.cycles, []);
    assertEquals(plan.packages.length, 48);
    // Read from the files: each environment (or test environment) line and the file that
    // builds it. orthanc-gdcm's boost-dev~1.88 is not boost 1.92.0's (apk's ~), so it comes
    // from the repositories; k3s's `mount` in dependencies.runtime is no build need, its tests'
    // is; py3-supported-setuptools-rust is a subpackage of py3-setuptools-rust.
    assertEquals(edgesOf(plan, new Set(["busybox"])), [
      "apache-arrow -> boost", // boost-dev
      "apache2 -> nghttp2", // nghttp2-dev
      "ascan -> 7zip", // test: 7zip
      "avahi -> intltool",
      "ceph-20 -> apache-arrow", // apache-arrow-dev
      "ceph-20 -> boost", // boost-dev
      "ceph-20 -> util-linux", // util-linux-dev
      "conda-base -> conda", // conda~${{package.version}} = conda~26.7.1
      "k3s -> util-linux", // test: mount
      "orthanc-gdcm -> util-linux", // libuuid, util-linux-dev
      "py3-bcrypt -> py3-setuptools-rust", // py3-supported-setuptools-rust
    ]);
    const kinds = new Map(plan.edges.map((e) => [`${e.from}->${e.to}`, e]));
    assertEquals(kinds.get("ascan->7zip")?.kind, "test");
    assertEquals(kinds.get("k3s->util-linux")?.kind, "test");
    assertEquals(kinds.get("k3s->util-linux")?.output, "mount");
    assertEquals(kinds.get("conda-base->conda")?.dep, "conda~26.7.1");
    assertEquals(
      kinds.get("py3-bcrypt->py3-setuptools-rust")?.output,
      "py3-supported-setuptools-rust",
    );
    // conda's tests need conda-base, which needs conda to build: the test need is cut.
    assertEquals(plan.cut.map((e) => `${e.from} -> ${e.to} (${e.kind})`), [
      "conda -> conda-base (test)",
    ]);
    // busybox is built first: 42 files need it (their own lines, or their pipelines' needs).
    assertEquals(plan.edges.filter((e) => e.to === "busybox").length, 42);
    assert(plan.packages.findIndex((p) => p.name === "busybox") < 2);
    // util-linux's `cmd:su` is provided by no file: it waits for builds, not for the plan.
    assertEquals(plan.packages.find((p) => p.name === "util-linux")!.deferred, ["cmd:su"]);
    assertEquals(
      plan.packages.find((p) => p.name === "orthanc-gdcm")!.external.includes("boost-dev~1.88"),
      true,
    );
    assertTopological(plan);
  },
});

Deno.test("plan: the generated 12-package graph, diamonds and subpackage needs, in order", () =>
  withTempDir((dir) => {
    const files = writeGraph(dir, twelvePackages(), REPO);
    const plan = planBuilds(files, { arch: "x86_64" });
    assertEquals(edgesOf(plan), [
      "after-after-bad -> after-bad",
      "after-bad -> bad",
      "after-bad -> c",
      "b -> a",
      "bad -> a",
      "c -> a",
      "d -> b",
      "d -> c",
      "e -> d",
      "f -> d",
      "g -> e",
      "g -> f",
      "h -> g",
      "h -> lone",
    ]);
    assertEquals(plan.edges.find((e) => e.from === "b")!.output, "a-dev");
    assertEquals(
      plan.packages.map((p) => p.name),
      ["a", "b", "bad", "c", "after-bad", "after-after-bad", "d", "e", "f", "g", "lone", "h"],
    );
    assertTopological(plan);
  }));

/** Writes minimal build files: name -> [version, environment packages, provides]. */
function files(dir: string, spec: Record<string, [string, string[], string[]?]>): string[] {
  return Object.entries(spec).map(([name, [version, env, provides]]) => {
    const text = [
      `package: {name: ${name}, version: "${version}", epoch: 0, description: x,`,
      `  copyright: [{license: MIT}], dependencies: {provides: [${(provides ?? []).join(", ")}]}}`,
      `environment: {contents: {packages: [${env.map((e) => `"${e}"`).join(", ")}]}}`,
      `pipeline: [{runs: "true"}]`,
    ].join("\n");
    const file = join(dir, `${name}.yaml`);
    Deno.writeTextFileSync(file, text + "\n");
    return file;
  });
}

Deno.test("plan: versions, provides and conflicts choose the provider as apk would", () =>
  withTempDir((dir) => {
    const plan = planBuilds(
      files(dir, {
        "go-1.21": ["1.21.9", [], ["go=1.21.9"]],
        "go-1.22": ["1.22.3", [], ["go=1.22.3"]],
        "new": ["1", ["go"]],
        "old": ["1", ["go<1.22"]],
        "exact": ["1", ["go-1.22=1.22.3-r0"]],
        "none": ["1", ["go>2"]],
        "shunned": ["1", ["go", "!go-1.22"]],
      }),
      { arch: "x86_64" },
    );
    const to = (n: string) => plan.edges.filter((e) => e.from === n).map((e) => e.to);
    assertEquals(to("new"), ["go-1.22"]); // the highest provided version
    assertEquals(to("old"), ["go-1.21"]);
    assertEquals(to("exact"), ["go-1.22"]);
    assertEquals(to("none"), []);
    assertEquals(plan.packages.find((p) => p.name === "none")!.external, ["go>2"]);
    assertEquals(to("shunned"), ["go-1.21"]); // `!go-1.22` rules it out
    assertEquals(plan.packages.find((p) => p.name === "shunned")!.conflicts, ["go-1.22"]);
  }));

Deno.test("plan: a cycle is reported with its path, and a bootstrap repository breaks it", () =>
  withTempDir((dir) => {
    const list = files(dir, {
      x: ["1", ["y-dev"]],
      y: ["1", ["z"], ["y-dev=1-r0"]],
      z: ["1", ["x"]],
      w: ["1", ["x"]],
    });
    const plan = planBuilds(list, { arch: "x86_64" });
    assertEquals(plan.cycles.map((c) => c.path), [["x", "y", "z", "x"]]);
    assertEquals(plan.packages.map((p) => p.name), []); // w waits behind the cycle
    const msg = cyclesMessage(plan);
    assertStringIncludes(msg, "x needs y (environment: y-dev), which needs z (environment: z)");
    assertStringIncludes(msg, "--bootstrap-repository");
    // A bootstrap repository with z: y's need of z is met there, and the rest is ordered.
    const boot = planBuilds(list, {
      arch: "x86_64",
      bootstrap: [emptyPackage("z", "0.9-r0", "x86_64")],
    });
    assertEquals(boot.cycles, []);
    assertEquals(boot.cut.map((e) => `${e.from} -> ${e.to}: ${e.why}`), [
      "y -> z: met from the bootstrap repository",
    ]);
    assertEquals(boot.packages.map((p) => p.name), ["y", "x", "w", "z"]);
  }));

Deno.test("plan: bad files are one error naming each file; a package built twice is refused", () =>
  withTempDir((dir) => {
    const good = files(dir, { a: ["1", []] });
    Deno.writeTextFileSync(join(dir, "broken.yaml"), "package: [\n");
    Deno.mkdirSync(join(dir, "sub"));
    const twice = files(join(dir, "sub"), { a: ["2", []] });
    const err = assertThrows(
      () => planBuilds([...good, join(dir, "broken.yaml"), ...twice], { arch: "x86_64" }),
      UserError,
    );
    assertStringIncludes(err.message, `${join(dir, "broken.yaml")}:`);
    assertStringIncludes(err.message, `package a is also built by ${good[0]}`);
  }));

Deno.test("backends: Go melange2's file format, with its defaults and clear errors", () => {
  const cfg = parseBackends({
    backends: [
      { addr: "tcp://x86:1234", arch: "x86_64", maxJobs: 2, labels: { tier: "standard" } },
      { addr: "tcp://arm:1234", arch: "arm64", tlscacert: "ca.pem" },
    ],
    failureThreshold: 2,
    recoveryTimeout: "1m30s",
  }, "/etc/melange/backends.yaml");
  assertEquals(cfg.defaultMaxJobs, 4);
  assertEquals(cfg.failureThreshold, 2);
  assertEquals(cfg.recoveryTimeoutMs, 90_000);
  assertEquals(cfg.backends[1].arch, "aarch64");
  assertEquals(cfg.backends[1].tls?.tlsCaCert, "/etc/melange/ca.pem");
  assertEquals(parseDuration(30_000_000_000, "x"), 30_000); // yaml.v3: an integer is nanoseconds
  const bad = (doc: unknown) => assertThrows(() => parseBackends(doc, "b.yaml"), UserError).message;
  assertEquals(bad({ backends: [{ arch: "x86_64" }] }), "b.yaml: backends[0]: addr is required");
  assertStringIncludes(
    bad({ backends: [{ addr: "tcp://a:1", arch: "x86_64", maxjobs: 1 }] }),
    "unknown field maxjobs",
  );
  assertStringIncludes(bad({ backends: [], recoveryTimeout: "soon" }), "at least one backend");
  assertStringIncludes(
    bad({ backends: [{ addr: "tcp://a:1", arch: "x86_64" }], recoveryTimeout: "soon" }),
    "expected a duration",
  );
});

Deno.test("pool: least loaded by arch and labels, per-backend limits, and the circuit breaker", () => {
  let now = 0;
  const pool = new Pool({
    backends: [
      { addr: "a", arch: "x86_64", labels: {}, maxJobs: 2 },
      { addr: "b", arch: "x86_64", labels: { tier: "big" }, maxJobs: 1 },
      { addr: "c", arch: "aarch64", labels: {}, maxJobs: 1 },
    ],
    defaultMaxJobs: 4,
    failureThreshold: 2,
    recoveryTimeoutMs: 1000,
  }, { now: () => now });
  const a1 = pool.acquire("x86_64")!;
  assertEquals(a1.addr, "a");
  assertEquals(pool.acquire("x86_64")!.addr, "b"); // a is half loaded, b empty
  assertEquals(pool.acquire("x86_64")!.addr, "a");
  assertEquals(pool.acquire("x86_64"), undefined); // every slot taken
  assertEquals(pool.acquire("aarch64", { tier: "big" }), undefined);
  assertEquals(pool.acquire("aarch64")!.addr, "c");
  // Two daemon failures in a row on a open its circuit; a job's own failure ("ok") does not count.
  pool.release(a1, "daemon-failure");
  pool.release(a1, "daemon-failure");
  assertEquals(pool.events.map((e) => `${e.addr} ${e.state}`), ["a open"]);
  assertEquals(pool.acquire("x86_64", {}), undefined); // b is full, a is open
  now = 999;
  assertEquals(pool.acquire("x86_64"), undefined);
  now = 1000; // recovery: one trial job at a time
  const trial = pool.acquire("x86_64")!;
  assertEquals(trial.addr, "a");
  assertEquals(pool.acquire("x86_64"), undefined);
  pool.release(trial, "daemon-failure"); // the trial failed: open again, for another second
  now = 1500;
  assertEquals(pool.acquire("x86_64"), undefined);
  now = 2000;
  const again = pool.acquire("x86_64")!;
  pool.release(again, "ok");
  assertEquals(pool.events.map((e) => `${e.at} ${e.addr} ${e.state}`), [
    "0 a open",
    "1000 a half-open",
    "1000 a open",
    "2000 a half-open",
    "2000 a closed",
  ]);
  assertEquals(pool.acquire("x86_64")!.addr, "a");
});

Deno.test("cli: many files refuse one-file flags, bad backends files and cycles with one clear error", () =>
  withTempDir(async (dir) => {
    files(dir, { x: ["1", ["y"]], y: ["1", ["x"]] });
    const llb = await runCli(["build", dir, "--dump-llb", join(dir, "x.llb")]);
    assertEquals(llb.code, 1);
    assertEquals(
      llb.stderr.trim(),
      "error: --dump-llb names one file's build: give it one file, not a directory",
    );
    Deno.writeTextFileSync(join(dir, "pool.yml"), "backends:\n  - addr: unix:///x.sock\n");
    const pool = await runCli(["build", dir, "--backends", join(dir, "pool.yml")]);
    assertEquals(pool.code, 1);
    assertStringIncludes(pool.stderr, "backends[0] (unix:///x.sock): arch is required");
    const cycle = await runCli([
      "build",
      join(dir, "x.yaml"),
      join(dir, "y.yaml"),
      "--buildkit-addr",
      "unix:///nowhere.sock",
      "--arch",
      "x86_64",
    ]);
    assertEquals(cycle.code, 1);
    assertStringIncludes(
      cycle.stderr,
      "x needs y (environment: y), which needs x (environment: x)",
    );
    assert(!cycle.stderr.includes("    at "), cycle.stderr); // no stack trace
    assert(!existsSync(join(dir, "packages")), "a refused run wrote its out directory");
  }));

Deno.test("plan: kept compiled files are used only while the pipelines they used are unchanged", () =>
  withTempDir((dir) => {
    const cacheDir = join(dir, "cache");
    Deno.mkdirSync(join(dir, "pipelines"));
    const pipe = (need: string) =>
      Deno.writeTextFileSync(
        join(dir, "pipelines", "tool.yaml"),
        `name: tool\nneeds:\n  packages:\n    - ${need}\npipeline:\n  - runs: "true"\n`,
      );
    const list = files(dir, { a: ["1", []], b: ["1", []], user: ["1", []] });
    Deno.writeTextFileSync(
      list[2],
      Deno.readTextFileSync(list[2]).replace(
        'pipeline: [{runs: "true"}]',
        "pipeline: [{uses: tool}]",
      ),
    );
    const plan = () =>
      planBuilds(list, { arch: "x86_64", pipelineDirs: [join(dir, "pipelines")], cacheDir });
    pipe("a");
    assertEquals(edgesOf(plan()), ["user -> a"]);
    assert(Deno.readDirSync(cacheDir).next().value, "nothing was kept");
    assertEquals(edgesOf(plan()), ["user -> a"]); // from the records
    pipe("b"); // the pipeline changed: user.yaml is compiled again
    assertEquals(edgesOf(plan()), ["user -> b"]);
    const uncached = planBuilds(list, {
      arch: "x86_64",
      pipelineDirs: [join(dir, "pipelines")],
      cache: false,
    });
    assertEquals(uncached.packages.map((p) => p.compiled), plan().packages.map((p) => p.compiled));
  }));

Deno.test("plan: kept compiled files are pruned: unused for 30 days, then least recently used over the size limit", () =>
  withTempDir((dir) => {
    const cacheDir = join(dir, "cache");
    const list = files(dir, { a: ["1", []], b: ["1", []], c: ["1", []] });
    planBuilds(list, { arch: "x86_64", cacheDir });
    const records = () =>
      [...Deno.readDirSync(cacheDir)].filter((e) => e.isDirectory).flatMap((d) =>
        [...Deno.readDirSync(join(cacheDir, d.name))].map((f) => join(cacheDir, d.name, f.name))
      ).sort();
    const all = records();
    assertEquals(all.length, 3);
    // The first planning run marked the directory as pruned today: nothing goes now.
    assert(existsSync(join(cacheDir, ".pruned")));
    const day = 24 * 3600 * 1000;
    const now = Date.now();
    const age = (path: string, days: number) =>
      Deno.utimeSync(path, new Date(now - days * day), new Date(now - days * day));
    age(all[0], 40); // unused for 40 days
    age(all[1], 2);
    age(all[2], 1);
    const size = Deno.statSync(all[1]).size + Deno.statSync(all[2]).size;
    assertEquals(pruneCompiled(cacheDir, { now, maxBytes: size }), 1);
    assertEquals(records(), [all[1], all[2]]);
    // Over the limit, the least recently used goes first.
    assertEquals(pruneCompiled(cacheDir, { now, maxBytes: size - 1 }), 1);
    assertEquals(records(), [all[2]]);
    // A run uses a kept record and marks it used; a due pruning keeps it.
    age(all[2], 29);
    Deno.utimeSync(join(cacheDir, ".pruned"), new Date(now - 2 * day), new Date(now - 2 * day));
    const before = planBuilds(list, { arch: "x86_64", cacheDir, cache: false });
    const plan = planBuilds(list, { arch: "x86_64", cacheDir });
    assertEquals(plan.packages.map((p) => p.compiled), before.packages.map((p) => p.compiled));
    assert(
      Date.now() - Deno.statSync(all[2]).mtime!.getTime() < day,
      "the used record was not touched",
    );
    assertEquals(records().length, 3);
  }));

Deno.test("display: plain lines per event, a live block on a terminal, the final table", () => {
  const labels = new Map([
    ["x86_64/a", { name: "a", arch: "x86_64", version: "1-r0" }],
    ["x86_64/b", { name: "b", arch: "x86_64", version: "2-r1" }],
  ]);
  const steps = new Map([
    ["d1", {
      digest: "d1",
      name: "fetch",
      index: 1,
      cached: true,
      started: 1,
      completed: 2,
      tail: [],
    }],
    ["d2", { digest: "d2", name: "build a", index: 2, cached: false, started: 3, tail: [] }],
  ]);
  let plain = "";
  const p = new RunDisplay({ mode: "plain", write: (s) => plain += s, labels, live: new Map() });
  p.event({ kind: "start", id: "x86_64/a", backend: "tcp://d1:1", attempt: 1 });
  p.event({
    kind: "end",
    result: {
      id: "x86_64/a",
      status: "built",
      attempts: 1,
      durationMs: 1500,
      backend: "tcp://d1:1",
    },
  });
  p.event({
    kind: "end",
    result: {
      id: "x86_64/b",
      status: "skipped",
      attempts: 0,
      durationMs: 0,
      reason: "needs a, which failed",
    },
  });
  p.stop();
  assertEquals(plain.split("\n").filter(Boolean), [
    "[0/2 done, 1 running, 1 queued, 0 failed, 0 skipped] start a-1-r0 on tcp://d1:1",
    "[1/2 done, 0 running, 1 queued, 0 failed, 0 skipped] a-1-r0 built in 1.5s on tcp://d1:1",
    "[1/2 done, 0 running, 0 queued, 0 failed, 1 skipped] b-2-r1 skipped: needs a, which failed",
  ]);
  let tty = "";
  const live = new Map([["x86_64/b", { steps }]]);
  const t = new RunDisplay({ mode: "tty", write: (s) => tty += s, labels, live, columns: 80 });
  t.event({ kind: "start", id: "x86_64/b", backend: "tcp://d2:1", attempt: 2 });
  t.stop();
  assertStringIncludes(tty, "start b-2-r1 on tcp://d2:1 (attempt 2)\n");
  assert(/ {2}b-2-r1 {2}tcp:\/\/d2:1 {2}0\.\ds {2}build a\n/.test(tty), tty);
  assertEquals(currentStep(steps), "build a");
  const table = resultsTable([
    {
      id: "x86_64/a",
      status: "built",
      attempts: 2,
      durationMs: 1500,
      backend: "tcp://d1:1",
      cachedSteps: 3,
    },
    {
      id: "x86_64/b",
      status: "failed",
      attempts: 1,
      durationMs: 200,
      backend: "tcp://d2:1",
      reason: 'step "x" failed: exit code: 1\nlast output',
    },
  ], labels);
  assertEquals(table.split("\n"), [
    "PACKAGE  VERSION  BACKEND     DURATION  CACHED  RESULT",
    "a        1-r0     tcp://d1:1  1.5s      3       built (attempt 2)",
    'b        2-r1     tcp://d2:1  0.2s      -       failed: step "x" failed: exit code: 1',
  ]);
});

/** A pool of `n` backends of one slot each, for the scheduler's own tests. */
function slots(n: number, failureThreshold = 1): PoolConfig {
  return {
    backends: Array.from({ length: n }, (_, i) => ({
      addr: `d${i}`,
      arch: "x86_64",
      labels: {},
      maxJobs: 1,
    })),
    defaultMaxJobs: 1,
    failureThreshold,
    recoveryTimeoutMs: 60_000,
  };
}

const job = (id: string, needs: string[] = [], deferred?: string[]): Job => ({
  id,
  arch: "x86_64",
  needs,
  deferred,
});

Deno.test("schedule: deferred so:/cmd: needs wait for the package that provides them", async () => {
  const order: string[] = [];
  const results = await schedule(
    [job("app", [], ["so:libz.so.1"]), job("zlib"), job("tool", ["zlib"])],
    slots(1),
    (j) => {
      order.push(j.id);
      return Promise.resolve({
        status: "built",
        provides: j.id === "zlib" ? ["so:libz.so.1"] : [],
      });
    },
  );
  // app is first by name and by chain length, but waits until zlib (its provider) is built.
  assertEquals(order, ["zlib", "app", "tool"]);
  assertEquals(results.map((r) => r.status), ["built", "built", "built"]);
});

Deno.test("schedule: without --keep-going nothing new starts after a failure", async () => {
  const started: string[] = [];
  const results = await schedule(
    [job("a"), job("b"), job("c", ["a"])],
    slots(1),
    (j) => {
      started.push(j.id);
      return j.id === "a"
        ? Promise.reject(new Error("exit 1"))
        : Promise.resolve({ status: "built" });
    },
    { label: (id) => `pkg-${id}` },
  );
  assertEquals(started, ["a"]);
  assertEquals(results.map((r) => [r.status, r.reason]), [
    ["failed", "exit 1"],
    ["skipped", "not started: pkg-a failed (--keep-going builds what does not need it)"],
    ["skipped", "needs pkg-a, which failed"],
  ]);
});

Deno.test("schedule: a daemon failure moves the job to another daemon; three failures give up", async () => {
  const tried: string[] = [];
  const dead = new Error(
    "cannot reach BuildKit at d0: connect ECONNREFUSED (nothing listens there)",
  );
  assert(isDaemonFailure(dead));
  assert(!isDaemonFailure(new Error('step "build" failed: exit code: 1')));
  const results = await schedule(
    [job("a"), job("b")],
    slots(3, 10), // no circuit opens here: that is the pool test's
    (j, b) => {
      tried.push(`${j.id}@${b.addr}`);
      if (j.id === "a" && b.addr === "d0") return Promise.reject(dead);
      if (j.id === "b") return Promise.reject(dead);
      return Promise.resolve({ status: "built" });
    },
  );
  assertEquals(results[0].status, "built");
  assertEquals(results[0].attempts, 2);
  assert(tried.includes("a@d0") && results[0].backend !== "d0", tried.join(" "));
  assertEquals(results[1].status, "failed");
  assertEquals(results[1].attempts, 3);
  assertStringIncludes(results[1].reason!, "(the daemons failed 3 time(s); gave up)");
});
