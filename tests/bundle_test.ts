/**
 * The single binary, as far as it can be checked offline: `deno bundle` of
 * main.ts into one file that builds examples/hello.yaml when run from an
 * empty directory, so nothing is read from the repository at run time
 * (built-in pipelines, protocol definitions and all are inside it).
 */
import { assertEquals } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { repoPath } from "./shared.ts";
import { existsSync } from "node:fs";

Deno.test({
  name: "bundle: one file, run from an empty directory, builds examples/hello.yaml",
  ignore: !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const bundled = await new Deno.Command(Deno.execPath(), {
        args: ["bundle", "--platform", "deno", "-o", `${dir}/bin/melange2.js`, repoPath("main.ts")],
        cwd: repoPath(),
      }).output();
      assertEquals(bundled.code, 0, new TextDecoder().decode(bundled.stderr));
      await Deno.mkdir(`${dir}/work`);
      await Deno.copyFile(repoPath("examples", "hello.yaml"), `${dir}/work/hello.yaml`);
      // No deno.json in reach and a cwd outside the repository: only the bundle runs.
      const run = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--no-config",
          `${dir}/bin/melange2.js`,
          "build",
          "hello.yaml",
          "--buildkit-addr",
          ADDR,
          "--arch",
          "host",
          "--progress",
          "plain",
        ],
        cwd: `${dir}/work`,
      }).output();
      assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
      const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
      assertEquals(existsSync(`${dir}/work/packages/${arch}/hello-1.0.0-r0.apk`), true);
      assertEquals(existsSync(`${dir}/work/packages/${arch}/APKINDEX.tar.gz`), true);
    }),
});
