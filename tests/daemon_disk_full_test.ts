/**
 * A daemon whose disk fills up during a build (issue 20): a private
 * buildkitd whose --root is a small tmpfs, filled by the build's own files
 * (the source directory it receives) or by a step's output (the copy that
 * exports it). Each build fails with one message that names the daemon's
 * disk and what to do, a non-zero exit, no stack trace, and nothing in the
 * out directory.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canStartDaemon, startDaemon } from "./support/daemon.ts";
import { withTempDir } from "./support/tmp.ts";
import { runCli } from "./cli.ts";
import { LOCAL_ARCHS } from "../scripts/local_repo.ts";

const ARCH = LOCAL_ARCHS[0];
const needs = { ignore: !canStartDaemon, sanitizeResources: false, sanitizeOps: false };
if (!canStartDaemon) console.log("daemon_disk_full_test: skipped, needs root and buildkitd");

const buildFile = (repo: { repository: string; publicKey: string }, runs: string) => `
package:
  name: full
  version: 1.0.0
  epoch: 0
environment:
  contents:
    repositories: [${repo.repository}]
    keyring: [${repo.publicKey}]
    packages: [busybox]
pipeline:
  - runs: |
      ${runs}
`;

/** Builds `yaml` against a daemon with a `size` tmpfs root; the CLI's result. */
async function buildOnSmallDisk(dir: string, yaml: string, extra: string[] = []) {
  const daemon = await startDaemon({ rootSize: "48m" });
  try {
    writeFileSync(join(dir, "full.yaml"), yaml);
    const res = await runCli([
      "build",
      "full.yaml",
      "--buildkit-addr",
      daemon.addr,
      "--arch",
      ARCH,
      "--out-dir",
      "out",
      "--progress",
      "plain",
      ...extra,
    ], { cwd: dir });
    return { ...res, addr: daemon.addr };
  } finally {
    await daemon.stop();
  }
}

/** One clear message: the daemon's disk, its address, the way out; no stack trace. */
function assertDiskFullMessage(res: { code: number; stderr: string; addr: string }) {
  assertEquals(res.code, 1, res.stderr);
  const error = res.stderr.slice(res.stderr.lastIndexOf("\nerror: ") + 1);
  assertStringIncludes(error, "no space left on device");
  assertStringIncludes(error, `the BuildKit daemon at ${res.addr} has run out of disk space`);
  assertStringIncludes(error, `buildctl --addr ${res.addr} prune`);
  assert(!/Uncaught|\n\s+at /.test(res.stderr), res.stderr);
  assert(!/\bEOF\b/.test(error), error);
}

Deno.test({
  name: "disk full: the daemon's disk filling while it receives the build's source directory " +
    "is said so (not EOF, not an uncaught stream reset)",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const { ensureLocalRepo } = await import("../scripts/local_repo.ts");
      const repo = await ensureLocalRepo(undefined, () => {}, [ARCH]);
      // 96 MiB of data that does not compress, in a 48 MiB root.
      const f = Deno.openSync(join(dir, "big.bin"), { write: true, create: true });
      const chunk = crypto.getRandomValues(new Uint8Array(65536));
      for (let i = 0; i < 96 * 16; i++) f.writeSync(chunk);
      f.close();
      const res = await buildOnSmallDisk(dir, buildFile(repo, "ls -la"), ["--source-dir", "."]);
      assertDiskFullMessage(res);
      assert(
        !existsSync(join(dir, "out", ARCH)) || readdirSync(join(dir, "out", ARCH)).length === 0,
      );
    }),
});

Deno.test({
  name: "disk full: a step that fills the daemon's disk fails naming the daemon's disk",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const { ensureLocalRepo } = await import("../scripts/local_repo.ts");
      const repo = await ensureLocalRepo(undefined, () => {}, [ARCH]);
      const res = await buildOnSmallDisk(
        dir,
        buildFile(repo, 'dd if=/dev/zero of="${{targets.destdir}}/big" bs=1M count=200 || true'),
      );
      assertDiskFullMessage(res);
      assert(
        !existsSync(join(dir, "out", ARCH)) || readdirSync(join(dir, "out", ARCH)).length === 0,
      );
    }),
});
