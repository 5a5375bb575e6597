/** `melange2 compile`: flags, deterministic JSON, and located errors without stack traces. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runCli } from "./cli.ts";
import { repoPath } from "./shared.ts";
import { withTempDir } from "./support/tmp.ts";

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

/** Two small melange files (and a third that fails to compile) in a fresh directory. */
function twoFiles(dir: string, withBad = false): void {
  const head = (name: string) =>
    `package:\n  name: ${name}\n  version: 1.0\n  epoch: 0\npipeline:\n  - runs: echo \${{package.name}} \${{build.arch}}\n`;
  Deno.writeTextFileSync(`${dir}/b.yaml`, head("bee"));
  Deno.writeTextFileSync(`${dir}/a.yaml`, head("ay"));
  Deno.writeTextFileSync(`${dir}/notes.txt`, "not a melange file");
  // Hidden YAML files are tool settings (wolfi-os has .yam.yaml), not build files.
  Deno.writeTextFileSync(`${dir}/.yam.yaml`, "gap: [pipeline]\n");
  if (withBad) {
    Deno.writeTextFileSync(
      `${dir}/c.yaml`,
      "package:\n  name: c\n  version: 1\n  epoch: 0\npipeline:\n  - runs: echo ${{vars.nope}}\n",
    );
  }
}

Deno.test("compile: many files and directories in one process, as JSON, JSON lines or into --out-dir", () =>
  withTempDir(async (dir) => {
    twoFiles(dir);
    const one = async (f: string) => {
      const r = await runCli(["compile", `${dir}/${f}`, "--arch", "aarch64"]);
      assertEquals(r.code, 0, r.stderr);
      return r.stdout;
    };
    const [a, b] = [await one("a.yaml"), await one("b.yaml")];
    assertEquals(JSON.parse(a).pipeline[0].runs, "echo ay aarch64");
    // A directory stands for its *.yaml files, sorted; documents follow each other.
    const both = await runCli(["compile", dir, "--arch", "aarch64"]);
    assertEquals(both.code, 0, both.stderr);
    assertEquals(both.stdout, a + b);
    const lines = await runCli([
      "compile",
      `${dir}/b.yaml`,
      `${dir}/a.yaml`,
      "--arch=aarch64",
      "--output-format",
      "jsonl",
    ]);
    assertEquals(lines.code, 0, lines.stderr);
    assertEquals(lines.stdout.split("\n"), [
      JSON.stringify(JSON.parse(b)),
      JSON.stringify(JSON.parse(a)),
      "",
    ]);
    const out = `${dir}/out`;
    const files = await runCli(["compile", dir, "--arch", "aarch64", "--out-dir", out]);
    assertEquals(files.code, 0, files.stderr);
    assertEquals(files.stdout, "");
    assertEquals([...Deno.readDirSync(out)].map((e) => e.name).sort(), ["a.json", "b.json"]);
    assertEquals(Deno.readTextFileSync(`${out}/a.json`), a);
    // Through the command-line library (`--` is not a plain argument) the result is the same.
    const slow = await runCli(["compile", "--arch", "aarch64", "--", `${dir}/a.yaml`]);
    assertEquals(slow.code, 0, slow.stderr);
    assertEquals(slow.stdout, a);
  }));

Deno.test("compile: when any file fails, every failure is reported and nothing is written", () =>
  withTempDir(async (dir) => {
    twoFiles(dir, true);
    const r = await runCli(["compile", dir, "--arch", "x86_64", "--out-dir", `${dir}/out`]);
    assert(r.code !== 0);
    assertEquals(r.stdout, "");
    assertStringIncludes(r.stderr, "1 of 3 files failed");
    assertStringIncludes(
      r.stderr,
      "c.yaml:6:11: pipeline[0].runs: undefined variable ${{vars.nope}}",
    );
    assert(!/\n\s+at /.test(r.stderr), r.stderr);
    assertEquals([...Deno.readDirSync(dir)].some((e) => e.name === "out"), false);
    const format = await runCli(["compile", `${dir}/a.yaml`, "--output-format", "yaml"]);
    assert(format.code !== 0);
    assertStringIncludes(format.stderr, 'expected json or jsonl, got "yaml"');
    const empty = await runCli(["compile", `${dir}/out-none`]);
    assert(empty.code !== 0);
    assertStringIncludes(empty.stderr, "out-none: no such file or directory");
  }));
