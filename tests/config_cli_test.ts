/** `melange2 compile`: flags, deterministic JSON, and located errors without stack traces. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runCli } from "./cli.ts";
import { repoPath } from "./shared.ts";

const fx = (...p: string[]) => repoPath("tests", "fixtures", "config", ...p);

Deno.test("compile: --arch, --pipeline-dir, --vars-file and --env-file shape the printed build", async () => {
  const args = [
    "compile",
    fx("cli", "demo.yaml"),
    "--arch",
    "aarch64",
    "--pipeline-dir",
    fx("nowhere"),
    "--pipeline-dir",
    fx("pipelines"),
    "--vars-file",
    fx("cli", "vars.yaml"),
    "--env-file",
    fx("cli", "build.env"),
  ];
  const a = await runCli(args);
  assertEquals(a.code, 0, a.stderr);
  const out = JSON.parse(a.stdout);
  assertEquals(out.arch, "aarch64");
  assertEquals(out.package.version, "2.0");
  assertEquals(out.environment.contents.packages, ["busybox", "tool-arm64"]);
  assertEquals(out.environment.environment, { FROM_ENV: "env", FROM_YAML: "yaml" });
  assertEquals(out.pipeline[0].runs, "needy arm64");
  assertEquals(out.pipeline[1].runs, "echo somebody 2.0-r1 aarch64-unknown-linux-gnu");
  // Keys are sorted at every level, and the same input prints the same bytes.
  assertEquals(Object.keys(out), [...Object.keys(out)].sort());
  assertEquals(Object.keys(out.package), [...Object.keys(out.package)].sort());
  const b = await runCli(args);
  assertEquals(b.stdout, a.stdout);
});

Deno.test("compile: bad input is one located error and no stack trace", async () => {
  const r = await runCli(["compile", fx("cli", "bad.yaml"), "--arch", "x86_64"]);
  assert(r.code !== 0);
  assertStringIncludes(r.stderr, "bad.yaml:5:11: pipeline[0].runs: undefined variable");
  assert(!/\n\s+at /.test(r.stderr), r.stderr);
  const arch = await runCli(["compile", fx("cli", "demo.yaml"), "--arch", "sparc"]);
  assert(arch.code !== 0);
  assertStringIncludes(arch.stderr, 'unknown architecture "sparc"');
  const vars = await runCli([
    "compile",
    fx("cli", "demo.yaml"),
    "--pipeline-dir",
    fx("pipelines"),
    "--vars-file",
    fx("cli", "none.yaml"),
  ]);
  assert(vars.code !== 0);
  assertStringIncludes(vars.stderr, "--vars-file");
  assert(!/\n\s+at /.test(vars.stderr), vars.stderr);
});
