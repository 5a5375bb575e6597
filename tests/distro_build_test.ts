/**
 * Many packages on a pool of real daemons: three private buildkitd
 * instances build the generated 12-package graph (two diamonds, a failing
 * package with dependents) in dependency order, skip what needs the
 * failure, build the rest, byte for byte as building each alone in order
 * would, and skip it all on a rerun; then a daemon killed under a build has
 * its job finish on another, and its circuit opens and closes as the
 * backends file says.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { withTempDir } from "./support/tmp.ts";
import { canStartDaemon } from "./support/daemon.ts";
import { startTlsDaemon } from "./support/buildkit.ts";
import { type OwnDaemon, ownDaemon } from "./support/daemons.ts";
import { type GraphPackage, twelvePackages, writeGraph } from "./support/distro_graph.ts";
import { runCli } from "./cli.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildMany, type ManyResult } from "../lib/distro/run.ts";
import type { PoolConfig } from "../lib/distro/backends.ts";
import { addToRepository } from "../lib/apk/outdir.ts";
import { loadSigningKey } from "../lib/apk/signature.ts";

if (!canStartDaemon) console.log("note: distro builds need root and buildkitd; skipped");
const { localRepo, makeKey } = canStartDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
const needs = { ignore: !canStartDaemon, sanitizeResources: false, sanitizeOps: false };

async function withDaemons<T>(n: number, fn: (d: OwnDaemon[]) => Promise<T>): Promise<T> {
  const daemons = await Promise.all(Array.from({ length: n }, () => ownDaemon()));
  try {
    return await fn(daemons);
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
  }
}

function poolOf(daemons: OwnDaemon[], extra: Partial<PoolConfig> = {}, maxJobs = 2): PoolConfig {
  return {
    backends: daemons.map((d) => ({ addr: d.addr, arch: ARCH, labels: {}, maxJobs })),
    defaultMaxJobs: 4,
    failureThreshold: 3,
    recoveryTimeoutMs: 30_000,
    ...extra,
  };
}

const byName = (r: ManyResult) => new Map(r.results.map((x) => [x.name, x]));

Deno.test({
  name: "distro: 12 packages on 3 daemons in dependency order, failures skip dependents only",
  ...needs,
  fn: () =>
    withTempDir((dir) =>
      withDaemons(3, async (daemons) => {
        const key = await makeKey(dir);
        const graph = twelvePackages();
        writeGraph(join(dir, "graph"), graph, localRepo);
        const out = join(dir, "out");
        const run = () =>
          buildMany({
            paths: [join(dir, "graph")],
            archs: [ARCH],
            pool: poolOf(daemons),
            // The CLI's defaults (the namespace is the packages' maintainer).
            base: { outDir: out, signingKey: key, namespace: "unknown" },
            keepGoing: true,
          });
        const result = await run();
        const r = byName(result);
        assertEquals(r.get("bad")!.status, "failed");
        assertStringIncludes(r.get("bad")!.reason!, 'step "build bad" failed');
        assertEquals(r.get("after-bad")!.status, "skipped");
        assertEquals(r.get("after-bad")!.reason, "needs bad, which failed");
        assertEquals(
          r.get("after-after-bad")!.reason,
          "needs bad (through after-bad), which failed",
        );
        const built = graph.filter((p) => !/bad/.test(p.name));
        for (const p of built) assertEquals(r.get(p.name)!.status, "built", p.name);
        // Topological: each package started after everything it needs had ended.
        for (const p of built) {
          for (const n of p.needs.map((x) => x.replace(/-dev$/, ""))) {
            assert(
              r.get(n)!.endedAt! <= r.get(p.name)!.startedAt!,
              `${p.name} started before ${n} ended`,
            );
          }
        }
        const used = new Set(result.results.map((x) => x.backend).filter(Boolean));
        assert(used.size >= 2, `one daemon did everything: ${[...used]}`);
        assertStringIncludes(
          readFileSync(join(out, "logs", ARCH, "bad.log"), "utf8"),
          "bad fails on purpose",
        );
        assert(existsSync(join(out, "logs", ARCH, "h.log")));
        // h's output holds what its environment installed: g's (e's and f's (d's...)) and lone's.
        assertEquals(
          await dataOf(join(out, ARCH, "h-1.0.0-r0.apk"), "usr/share/graph/h"),
          [
            "h",
            "g",
            "e",
            "d",
            "b",
            "a",
            "c",
            "a",
            "f",
            "d",
            "b",
            "a",
            "c",
            "a",
            "lone",
          ].join("\n") + "\n",
        );
        assertStringIncludes(result.table, "after-bad");

        // Each package alone, in the plan's order, with the CLI: the same bytes.
        const alone = join(dir, "alone");
        await addToRepository(join(alone, ARCH), [], { signingKey: loadSigningKey(key) });
        for (const p of result.plans[0].packages.filter((p) => !/bad/.test(p.name))) {
          const res = await runCli([
            "build",
            p.file,
            "--out-dir",
            alone,
            "--signing-key",
            key,
            "--arch",
            ARCH,
            "--repository-append",
            alone,
            "--keyring-append",
            `${key}.pub`,
            "--buildkit-addr",
            daemons[0].addr,
            "--progress",
            "quiet",
          ]);
          assertEquals(res.code, 0, res.stderr);
        }
        const apks = (d: string) => readdirSync(d).filter((f) => f.endsWith(".apk")).sort();
        assertEquals(apks(join(out, ARCH)), apks(join(alone, ARCH)));
        for (const f of apks(join(out, ARCH))) {
          assert(
            readFileSync(join(out, ARCH, f)).equals(readFileSync(join(alone, ARCH, f))),
            `${f} differs from the one built alone`,
          );
        }

        // A rerun: every package built is up to date by its content key; bad fails again.
        const again = byName(await run());
        for (const p of built) assertEquals(again.get(p.name)!.status, "cached", p.name);
        assertEquals(again.get("bad")!.status, "failed");
      })
    ),
});

Deno.test({
  name:
    "distro: a daemon killed under a build: the job finishes on another, the circuit opens, then closes",
  ...needs,
  fn: () =>
    withTempDir((dir) =>
      withDaemons(3, async (daemons) => {
        const graph: GraphPackage[] = [
          { name: "s1", needs: [], seconds: 8 },
          { name: "s2", needs: [], seconds: 8 },
          { name: "s3", needs: [], seconds: 8 },
          { name: "t1", needs: ["s1", "s2", "s3"] },
          { name: "t2", needs: ["s1", "s2", "s3"] },
          { name: "t3", needs: ["s1", "s2", "s3"] },
        ];
        writeGraph(join(dir, "graph"), graph, localRepo);
        const out = join(dir, "out");
        let victim: { id: string; addr: string } | undefined;
        let killed: Promise<void> | undefined;
        const result = await buildMany({
          paths: [join(dir, "graph")],
          archs: [ARCH],
          pool: poolOf(daemons, { failureThreshold: 1, recoveryTimeoutMs: 4000 }, 1),
          base: { outDir: out },
          onEvent: (e) => {
            if (e.kind !== "start" || victim) return;
            victim = { id: e.id, addr: e.backend };
            const name = e.id.split("/")[1];
            killed = killWhenRunning(
              join(out, "logs", ARCH, `${name}.log`),
              `build ${name}`,
              daemons.find((d) => d.addr === e.backend)!,
            );
          },
        });
        await killed;
        const r = byName(result);
        for (const p of graph) assertEquals(r.get(p.name)!.status, "built", p.name);
        const v = result.results.find((x) => x.id === victim!.id)!;
        assertEquals(v.attempts, 2);
        assert(v.backend !== victim!.addr, "the job was not moved off the killed daemon");
        const log = readFileSync(join(out, "logs", ARCH, `${v.name}.log`), "utf8");
        assertStringIncludes(log, `== attempt 1 on ${victim!.addr}`);
        assertStringIncludes(log, `== attempt 2 on ${v.backend}`);
        // The killed daemon's circuit: open at once (threshold 1), half-open after 4 s,
        // closed by the trial job it ran once started again.
        const states = result.circuits.filter((c) => c.addr === victim!.addr).map((c) => c.state);
        assertEquals(states, ["open", "half-open", "closed"]);
        const opened = result.circuits.find((c) => c.addr === victim!.addr)!.at;
        const halfOpen = result.circuits.filter((c) => c.addr === victim!.addr)[1].at;
        assert(halfOpen - opened >= 4000, `half-open after ${halfOpen - opened} ms`);
        assert(result.results.some((x) => x.backend === victim!.addr && x.status === "built"));
      })
    ),
});

Deno.test({
  name: "distro: the CLI with a backends file: a TLS backend and a plain one share the builds",
  ...needs,
  fn: () =>
    withTempDir((dir) =>
      withDaemons(1, async ([plain]) => {
        const tls = await startTlsDaemon(11800 + Math.floor(Math.random() * 150));
        try {
          writeGraph(join(dir, "graph"), [
            { name: "one", needs: [], seconds: 2 },
            { name: "two", needs: [], seconds: 2 },
            { name: "three", needs: ["one", "two"] },
          ], localRepo);
          // TLS files relative to the backends file, as Go melange2's users keep them beside it.
          Deno.writeTextFileSync(
            join(tls.dir, "pool.yaml"),
            [
              "backends:",
              `  - addr: ${plain.addr}`,
              `    arch: ${ARCH}`,
              "    maxJobs: 1",
              `  - addr: ${tls.addr}`,
              `    arch: ${ARCH}`,
              "    maxJobs: 1",
              "    labels: {tier: tls}",
              "    tlscacert: ca.pem",
              "    tlscert: client.pem",
              "    tlskey: client.key",
              "failureThreshold: 2",
              "recoveryTimeout: 10s",
            ].join("\n") + "\n",
          );
          const res = await runCli([
            "build",
            join(dir, "graph"),
            "--backends",
            join(tls.dir, "pool.yaml"),
            "--out-dir",
            join(dir, "out"),
            "--arch",
            ARCH,
            "--progress",
            "plain",
          ]);
          assertEquals(res.code, 0, res.stderr);
          const rows = res.stderr.split("\n").filter((l) => /^(one|two|three) /.test(l));
          assertEquals(rows.length, 3, res.stderr);
          assert(rows.some((l) => l.includes(tls.addr)), res.stderr);
          assert(rows.some((l) => l.includes(plain.addr)), res.stderr);
          assert(rows.every((l) => l.endsWith("built")), res.stderr);
        } finally {
          await tls.stop();
        }
      })
    ),
});

/** Kills `daemon` once `text` shows in the log (the step runs), then starts it again. */
async function killWhenRunning(log: string, text: string, daemon: OwnDaemon): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (existsSync(log) && readFileSync(log, "utf8").includes(text)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000));
  await daemon.kill();
  await daemon.restart();
}

/** A file's text inside a package's data (python3's tarfile, independent of ours). */
async function dataOf(apk: string, path: string): Promise<string> {
  const script = [
    "import sys, tarfile",
    "with tarfile.open(sys.argv[1], 'r:gz') as t:",
    "    sys.stdout.write(t.extractfile(sys.argv[2]).read().decode())",
  ].join("\n");
  const out = await new Deno.Command("python3", { args: ["-c", script, apk, path] }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}
