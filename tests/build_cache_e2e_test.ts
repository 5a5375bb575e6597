/**
 * Shared build cache across daemons: a package built on a fresh daemon A
 * with `--cache-to`, then on another fresh daemon B with `--cache-from`: B
 * takes A's steps from the cache (the solve's own progress says they are
 * cached) and makes the same package bytes. Once with a local cache (an OCI
 * layout written through the session) and once with a real OCI registry on
 * loopback (distribution's, which the set-up starts).
 */
import { assert, assertEquals } from "./assert.ts";
import { haveDaemon, withTempDir } from "./support/buildkit.ts";
import { canStartDaemon, startDaemon } from "./support/daemon.ts";
import { runCli } from "./cli.ts";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

const { localRepo } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
const REGISTRY = Deno.env.get("MELANGE2_REGISTRY") ?? "127.0.0.1:5000";

/** Whether the registry answers GET /v2/. */
async function registryAnswers(): Promise<boolean> {
  try {
    const res = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

const haveRegistry = await registryAnswers();
if (!canStartDaemon) {
  console.log("note: cannot start private buildkitd daemons (root and buildkitd)");
}
if (!haveRegistry) {
  console.log(`note: no OCI registry at ${REGISTRY}; bash scripts/setup.sh starts one`);
}

/** Two steps; the marker keeps earlier runs' registry caches out of A's first build. */
const buildFile = (marker: string) => `
package:
  name: cached
  version: 1.0.0
  epoch: 0
  description: two steps worth caching
  copyright:
    - license: MIT
environment:
  contents:
    repositories: [${localRepo.repository}]
    keyring: [${localRepo.publicKey}]
    packages: [busybox]
pipeline:
  - name: make the data
    runs: |
      mkdir -p "\${{targets.destdir}}/usr/share/cached"
      seq 1 20000 > "\${{targets.destdir}}/usr/share/cached/numbers"
      echo ${marker} > "\${{targets.destdir}}/usr/share/cached/marker"
  - name: summarize the data
    runs: |
      wc -l < "\${{targets.destdir}}/usr/share/cached/numbers" > "\${{targets.destdir}}/usr/share/cached/count"
`;

/** The pipeline steps of a `--progress rawjson` run: name -> whether it came from the cache. */
function stepsOf(stderr: string): Map<string, boolean> {
  const steps = new Map<string, boolean>();
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    const msg = JSON.parse(line);
    for (const v of msg.vertexes ?? []) {
      const name = String(v.name ?? "");
      if (!/make the data|summarize the data/.test(name)) continue;
      // A vertex is reported several times; once cached, it stays cached.
      steps.set(name, (steps.get(name) ?? false) || v.cached === true);
    }
  }
  return steps;
}

/** The names of the vertices a rawjson run executed (not cached). */
function executedOf(stderr: string): string[] {
  const cached = new Map<string, { name: string; cached: boolean }>();
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    for (const v of JSON.parse(line).vertexes ?? []) {
      const was = cached.get(v.digest);
      cached.set(v.digest, { name: v.name, cached: (was?.cached ?? false) || v.cached === true });
    }
  }
  return [...cached.values()].filter((v) => !v.cached).map((v) => v.name);
}

/** The summary line a rawjson run ends with. */
function summaryOf(stderr: string): { steps: number; cached: number; executed: number } {
  const line = stderr.split("\n").findLast((l) => l.startsWith('{"summary"'));
  assert(line, `no summary in:\n${stderr.slice(-2000)}`);
  return JSON.parse(line).summary;
}

async function buildOn(addr: string, dir: string, out: string, cacheFlags: string[]) {
  const res = await runCli([
    "build",
    `${dir}/cached.yaml`,
    "--buildkit-addr",
    addr,
    "--arch",
    "host",
    "--progress",
    "rawjson",
    "--out-dir",
    out,
    "--source-dir",
    `${dir}/empty`,
    ...cacheFlags,
  ]);
  assertEquals(res.code, 0, res.stderr.slice(-4000));
  const apk = readFileSync(`${out}/${ARCH}/cached-1.0.0-r0.apk`);
  return {
    steps: stepsOf(res.stderr),
    summary: summaryOf(res.stderr),
    sha: createHash("sha256").update(apk).digest("hex"),
    stderr: res.stderr,
  };
}

/** Builds on fresh daemon A exporting the cache, then on fresh daemon B importing it. */
async function acrossDaemons(cacheTo: string, cacheFrom: string, dir: string) {
  Deno.mkdirSync(`${dir}/empty`);
  writeFileSync(`${dir}/cached.yaml`, buildFile(crypto.randomUUID()));
  const a = await startDaemon();
  let first, second;
  try {
    first = await buildOn(a.addr, dir, `${dir}/out-a`, ["--cache-to", cacheTo]);
  } finally {
    await a.stop();
  }
  const b = await startDaemon();
  try {
    second = await buildOn(b.addr, dir, `${dir}/out-b`, ["--cache-from", cacheFrom]);
  } finally {
    await b.stop();
  }
  // A ran both steps: it is fresh and imported nothing.
  assertEquals(first.steps.size, 2, first.stderr.slice(-3000));
  for (const [name, cached] of first.steps) assert(!cached, `A ran "${name}"`);
  // B took both from A's cache, and made the same package.
  assertEquals(second.steps.size, 2, second.stderr.slice(-3000));
  for (const [name, cached] of second.steps) assert(cached, `B reused "${name}" from A's cache`);
  assert(
    second.summary.executed < first.summary.executed,
    `B executed fewer steps (${second.summary.executed}) than A (${first.summary.executed})`,
  );
  assertEquals(second.sha, first.sha, "the same package bytes");
  console.log(
    `A: ${first.summary.executed} executed, ${first.summary.cached} cached; ` +
      `B: ${second.summary.executed} executed, ${second.summary.cached} cached ` +
      `(${executedOf(second.stderr).join("; ")})`,
  );
}

Deno.test({
  name: "--cache-to type=local on daemon A, --cache-from on a fresh daemon B: B reuses A's steps",
  ignore: !haveDaemon || !canStartDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      await acrossDaemons(
        `type=local,dest=${dir}/cache,mode=max`,
        `type=local,src=${dir}/cache`,
        dir,
      );
      // The cache is an OCI layout whose index.json names the cache manifest as `latest`.
      const index = JSON.parse(Deno.readTextFileSync(`${dir}/cache/index.json`));
      assertEquals(index.manifests.length, 1);
      assertEquals(index.manifests[0].annotations["org.opencontainers.image.ref.name"], "latest");
      const hex = index.manifests[0].digest.replace("sha256:", "");
      assert(Deno.statSync(`${dir}/cache/blobs/sha256/${hex}`).isFile);
      assertEquals(
        [...Deno.readDirSync(`${dir}/cache/ingest`)].length,
        0,
        "no ingest left behind",
      );
    }),
});

Deno.test({
  name:
    "--cache-to type=registry on daemon A, --cache-from on a fresh daemon B: B reuses A's steps",
  ignore: !haveDaemon || !canStartDaemon || !haveRegistry,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const ref = `${REGISTRY}/melange2-test/cache:${crypto.randomUUID().slice(0, 8)}`;
      await acrossDaemons(`type=registry,ref=${ref},mode=max`, `type=registry,ref=${ref}`, dir);
      // The registry holds BuildKit's cache manifest under that tag.
      const [repo, tag] = ref.slice(REGISTRY.length + 1).split(":");
      const res = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${tag}`, {
        headers: {
          accept: [
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
          ].join(", "),
        },
      });
      assertEquals(res.status, 200);
      const body = await res.text();
      assert(body.includes("application/vnd.buildkit.cacheconfig.v0"), body.slice(0, 400));
    }),
});
