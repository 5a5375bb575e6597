/** melange's build timeouts: package.timeout, else --timeout, as Go durations. */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { existsSync, writeFileSync } from "node:fs";
import { formatDuration, parseDuration } from "../lib/build/timeout.ts";

const { localRepo } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };

Deno.test("durations: Go's syntax in, Go's Duration.String() out", () => {
  assertEquals(parseDuration("90s", "x"), 90_000);
  assertEquals(parseDuration("1h30m", "x"), 5_400_000);
  assertEquals(parseDuration("1.5s", "x"), 1500);
  assertEquals(parseDuration("250ms", "x"), 250);
  assertEquals(parseDuration("0", "x"), 0);
  assertThrows(() => parseDuration("10", "--timeout"), Error, "expected a duration");
  assertThrows(() => parseDuration("5 minutes", "--timeout"), Error, "expected a duration");
  assertEquals(formatDuration(2000), "2s");
  assertEquals(formatDuration(90_000), "1m30s");
  assertEquals(formatDuration(3_600_000), "1h0m0s");
  assertEquals(formatDuration(500), "500ms");
});

const FILE = (repo: { repository: string; publicKey: string }, timeout: string) => `
package:
  name: slowpoke
  version: 1.0.0
  epoch: 0
  description: takes its time
${timeout}
environment:
  contents:
    repositories: [${repo.repository}]
    keyring: [${repo.publicKey}]
    packages: [busybox]
pipeline:
  - runs: sleep 120
`;

Deno.test({
  name: "build: package.timeout, else --timeout, cancels a build that runs longer",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const common = ["--arch", "host", "--buildkit-addr", ADDR, "--progress", "plain"];
      writeFileSync(`${dir}/own.yaml`, FILE(localRepo, "  timeout: 3s"));
      writeFileSync(`${dir}/flag.yaml`, FILE(localRepo, ""));
      const t0 = performance.now();
      const own = await runCli(["build", "own.yaml", ...common, "--timeout", "1h"], { cwd: dir });
      assertEquals(own.code, 1, own.stderr);
      assertStringIncludes(own.stderr, "error: build exceeded its timeout of 3s\n");
      const flag = await runCli(["build", "flag.yaml", ...common, "--timeout", "3s"], { cwd: dir });
      assertEquals(flag.code, 1, flag.stderr);
      assertStringIncludes(flag.stderr, "error: build exceeded its timeout of 3s\n");
      // Neither waited for the step's 120 seconds, and neither wrote a package.
      assert(performance.now() - t0 < 110_000, "cut short");
      const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
      assert(!existsSync(`${dir}/packages/${arch}/slowpoke-1.0.0-r0.apk`));
      const bad = await runCli(["build", "flag.yaml", ...common, "--timeout", "soon"], {
        cwd: dir,
      });
      assertEquals(bad.code, 1);
      assertStringIncludes(bad.stderr, 'error: --timeout "soon": expected a duration');
    }),
});
