/**
 * melange2 as users get it, from an empty directory with an empty DENO_DIR
 * and no configuration: the compiled binary when Deno's runtime is there to
 * compile one (DENORT_BIN, or a reachable dl.deno.land), otherwise the
 * `deno bundle` single file (which needs nothing from the network). It builds
 * and tests examples/hello.yaml, so everything it needs is inside it.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { repoPath } from "./shared.ts";
import { existsSync } from "node:fs";
import { compileArgs, compileFailure } from "../scripts/compile.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const target = Deno.build.arch === "aarch64"
  ? "aarch64-unknown-linux-gnu"
  : "x86_64-unknown-linux-gnu";

/** The compiled binary, or why there is none (then the bundle stands in). */
async function compiled(dir: string): Promise<string[] | string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(target, `${dir}/bin`),
    cwd: repoPath(),
    env: { RUST_BACKTRACE: "0" },
  }).output();
  if (!out.success) return compileFailure(target, decode(out.stderr));
  return [`${dir}/bin/melange2-${target}`];
}

async function bundled(dir: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--platform", "deno", "-o", `${dir}/bin/melange2.js`, repoPath("main.ts")],
    cwd: repoPath(),
  }).output();
  assertEquals(out.code, 0, decode(out.stderr));
  return [Deno.execPath(), "run", "-A", "--no-config", `${dir}/bin/melange2.js`];
}

Deno.test({
  name:
    "release: the binary (or, offline, the bundle) builds and tests hello from an empty directory",
  ignore: !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const binary = await compiled(dir);
      if (typeof binary === "string") {
        // The reason is the one paragraph the compile script prints.
        assertStringIncludes(binary, "DENORT_BIN");
        console.log(`note: no compiled binary here, testing the bundle: ${binary}`);
      }
      const cmd = typeof binary === "string" ? await bundled(dir) : binary;
      await Deno.mkdir(`${dir}/work`);
      await Deno.mkdir(`${dir}/deno-dir`);
      await Deno.copyFile(repoPath("examples", "hello.yaml"), `${dir}/work/hello.yaml`);
      const run = (args: string[]) =>
        new Deno.Command(cmd[0], {
          args: [...cmd.slice(1), ...args],
          cwd: `${dir}/work`,
          env: { DENO_DIR: `${dir}/deno-dir` },
        }).output();
      const version = await run(["--version"]);
      assertEquals(decode(version.stdout).trim(), "0.1.0");
      const built = await run([
        "build",
        "hello.yaml",
        "--buildkit-addr",
        ADDR,
        "--arch",
        "host",
        "--progress",
        "plain",
      ]);
      assertEquals(built.code, 0, decode(built.stderr));
      const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
      assert(existsSync(`${dir}/work/packages/${arch}/hello-1.0.0-r0.apk`));
      assert(existsSync(`${dir}/work/packages/${arch}/APKINDEX.tar.gz`));
      const tested = await run([
        "test",
        "hello.yaml",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "plain",
      ]);
      assertEquals(tested.code, 0, decode(tested.stderr));
      assertStringIncludes(decode(tested.stderr), "PASS hello-1.0.0-r0");
    }),
});

Deno.test("compile: without the runtime, one paragraph naming DENORT_BIN and no backtrace", () => {
  const stderr = "\x1b[31merror\x1b[0m: Writing deno compile executable\n\nCaused by:\n" +
    "    0: Setting up base binary.\n    1: error sending request for url " +
    "(https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip)\n" +
    "    4: failed to lookup address information: Name or service not known\n\nStack backtrace:\n   0: <unknown>\n";
  const text = compileFailure("x86_64-unknown-linux-gnu", stderr);
  assertStringIncludes(text, "DENORT_BIN=/path/to/denort");
  assertStringIncludes(text, "failed to lookup address information");
  assert(!text.includes("\n") && !text.includes("backtrace"), text);
});
