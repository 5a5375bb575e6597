/** `uses:` as melange compiles it: input scopes, needs, and which step fields a pipeline file sets. */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { compileSync, loadConfigText } from "../lib/config/mod.ts";
import type { CompiledStep } from "../lib/config/mod.ts";
import { UserError } from "../lib/errors.ts";
import { repoPath } from "./shared.ts";

const DIRS = [repoPath("tests", "fixtures", "config", "pipelines")];
const HEAD = "package:\n  name: demo\n  version: 1.0.0\n  commit: abc123\n";

function compile(yaml: string, arch = "x86_64") {
  return compileSync(loadConfigText(HEAD + yaml, "demo.yaml"), { arch, pipelineDirs: DIRS });
}

const runs = (steps: CompiledStep[]): string[] =>
  steps.flatMap((s) => [...(s.runs ? [s.runs] : []), ...runs(s.pipeline ?? [])]);

Deno.test("pipelines: a nested pipeline sees its caller's inputs unless it declares its own", () => {
  const c = compile("pipeline:\n  - uses: t/outer\n    with:\n      who: world\n");
  assertEquals(runs(c.pipeline), ["outer hello world", "inner world", "shadow nobody"]);
  // The step keeps its uses and the expansion nests below it.
  assertEquals(c.pipeline[0].uses, "t/outer");
  assertEquals(c.pipeline[0].pipeline?.map((s) => s.uses), [undefined, "t/inner", "t/shadow"]);
});

Deno.test("pipelines: with: values are substituted in the caller's scope; unknown names are located errors", () => {
  const c = compile(
    "vars:\n  who: ${{package.name}}-team\npipeline:\n  - uses: t/outer\n    with:\n      who: ${{vars.who}}\n",
  );
  assertEquals(runs(c.pipeline)[0], "outer hello demo-team");
  const err = assertThrows(
    () => compile("pipeline:\n  - uses: t/outer\n    with:\n      who: ${{vars.nope}}\n"),
    UserError,
  );
  assertStringIncludes(err.message, "demo.yaml:8:12: pipeline[0].with.who:");
  assertStringIncludes(err.message, "${{vars.nope}}");
});

Deno.test("pipelines: required inputs, unknown with: keys and checksums are refused where they are written", () => {
  const missing = assertThrows(() => compile("pipeline:\n  - uses: t/outer\n"), UserError);
  assertStringIncludes(missing.message, 'demo.yaml:6:5: pipeline[0]: required input "who"');
  const unknown = assertThrows(
    () => compile("pipeline:\n  - uses: t/bare\n    with:\n      x: y\n"),
    UserError,
  );
  assertStringIncludes(
    unknown.message,
    'demo.yaml:8:10: pipeline[0].with.x: undefined input "x" to pipeline "t/bare"',
  );
  const commit = assertThrows(
    () =>
      compile(
        "pipeline:\n  - uses: git-checkout\n    with:\n      repository: r\n      expected-commit: xyz\n",
      ),
    UserError,
  );
  assertStringIncludes(commit.message, "expected-commit must be 40 hexadecimal digits");
});

Deno.test("pipelines: needs.packages are substituted, added sorted and once, only for steps that run", () => {
  const c = compile(`environment:
  contents:
    packages: [zlib, busybox]
pipeline:
  - uses: t/needy
  - uses: t/needy
    with:
      flavour: fancy
  - uses: t/needy
    if: \${{build.arch}} == 'aarch64'
    with:
      flavour: arm-only
`);
  assertEquals(c.environment.contents.packages, ["busybox", "tool-fancy", "tool-plain", "zlib"]);
  assertEquals(runs(c.pipeline), ["needy plain", "needy fancy"]);
  const arm = compile(
    "pipeline:\n  - uses: t/needy\n    if: ${{build.arch}} == 'aarch64'\n",
    "aarch64",
  );
  assertEquals(arm.environment.contents.packages, ["tool-plain"]);
});

Deno.test("pipelines: a subpackage's needs reach the build environment even when its if: is false", () => {
  // melange compiles every subpackage's steps before deciding which to build.
  const c = compile(`subpackages:
  - name: demo-arm
    if: \${{build.arch}} == 'aarch64'
    pipeline:
      - uses: t/needy
        with:
          flavour: arm
`);
  assertEquals(c.subpackages, []);
  assertEquals(c.environment.contents.packages, ["tool-arm"]);
});

Deno.test("pipelines: the step keeps what the pipeline file does not set; the file wins where it does", () => {
  const c = compile(`pipeline:
  - uses: t/bare
    working-directory: /mine
    environment:
      MINE: step
  - uses: t/located
    working-directory: /mine
    environment:
      SHARED: step
      MINE: step
`);
  assertEquals(c.pipeline[0].workingDirectory, "/mine");
  assertEquals(c.pipeline[0].environment, { MINE: "step" });
  assertEquals(c.pipeline[0].runs, "bare");
  assertEquals(c.pipeline[1].workingDirectory, "/from-file");
  assertEquals(c.pipeline[1].environment, { SHARED: "file", MINE: "step" });
  // The nested step inherits the working directory.
  assertEquals(c.pipeline[1].pipeline?.[0].workingDirectory, "/from-file");
});

Deno.test("pipelines: a step's own name stays; the pipeline file's name is not copied", () => {
  const c = compile("pipeline:\n  - uses: t/bare\n  - name: named\n    uses: t/bare\n");
  assertEquals(c.pipeline[0].name, undefined);
  assertEquals(c.pipeline[1].name, "named");
});

Deno.test("pipelines: a step with uses: and its own steps is not expanded again", () => {
  const c = compile(
    "pipeline:\n  - uses: t/outer\n    pipeline:\n      - runs: already compiled\n",
  );
  assertEquals(runs(c.pipeline), ["already compiled"]);
});

Deno.test("pipelines: a subpackage without a commit has the package's", () => {
  const c = compile(
    "subpackages:\n  - name: a\n    pipeline: [{runs: x}]\n  - name: b\n    commit: def\n",
  );
  assertEquals(c.subpackages.map((s) => s.commit), ["abc123", "def"]);
});

Deno.test("pipelines: uses: names may not leave the pipeline directories", () => {
  for (const name of ["../etc/passwd", "/abs/path"]) {
    const err = assertThrows(() => compile(`pipeline:\n  - uses: ${name}\n`), UserError);
    assert(/^demo\.yaml:6:\d+: pipeline\[0\]\.uses: /.test(err.message), err.message);
  }
});

Deno.test("variables: targets.package.<name> names every package, range subpackages unrolled", () => {
  const c = compile(`vars:
  suffix: extra
data:
  - name: flavours
    items:
      b: B
      a: A
pipeline:
  - runs: ls \${{targets.package.demo-a}} \${{targets.package.demo-extra}}
subpackages:
  - range: flavours
    name: demo-\${{range.key}}
    pipeline:
      - runs: echo \${{range.value}} \${{targets.subpkgdir}} \${{targets.package.demo-b}}
  - name: demo-\${{vars.suffix}}
    pipeline:
      - runs: echo \${{subpkg.name}} \${{targets.contextdir}}
`);
  assertEquals(runs(c.pipeline), [
    "ls /home/build/melange-out/demo-a /home/build/melange-out/demo-extra",
  ]);
  assertEquals(c.subpackages.map((s) => [s.name, runs(s.pipeline)[0]]), [
    ["demo-a", "echo A /home/build/melange-out/demo-a /home/build/melange-out/demo-b"],
    ["demo-b", "echo B /home/build/melange-out/demo-b /home/build/melange-out/demo-b"],
    ["demo-extra", "echo demo-extra /home/build/melange-out/demo-extra"],
  ]);
});
