/** Loading, validation, substitution, conditions and pipeline expansion, one feature at a time. */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileSync, loadConfigSync, loadConfigText } from "../lib/config/mod.ts";
import type { CompiledStep } from "../lib/config/mod.ts";
import { goReplaceAll } from "../lib/config/goregexp.ts";
import { evaluate } from "../lib/config/subst.ts";
import { withTempDir } from "./support/tmp.ts";

const HEAD = `package:
  name: demo
  version: 1.10
  epoch: 2
  description: a demo
`;

function compile(yaml: string, arch = "x86_64", pipelineDirs: string[] = []) {
  return compileSync(loadConfigText(yaml, "demo.yaml"), { arch, pipelineDirs });
}

const runs = (steps: CompiledStep[]): string[] =>
  steps.flatMap((s) => [...(s.runs ? [s.runs] : []), ...runs(s.pipeline ?? [])]);

Deno.test("config: scalars keep their text; multi-line scripts are kept exactly", () => {
  const c = compile(
    HEAD + `pipeline:
  - runs: |
      echo one
        indented   two

      echo "three"
  - name: version 2.0
    runs: echo 2.0
`,
  );
  assertEquals(c.package.version, "1.10");
  assertEquals(c.package.epoch, 2);
  assertEquals(c.pipeline[0].runs, 'echo one\n  indented   two\n\necho "three"\n');
  assertEquals(c.pipeline[1].name, "version 2.0");
  assertEquals(c.pipeline[1].runs, "echo 2.0");
});

Deno.test("config: unknown fields and wrong types name the file, the field path and line:column", () => {
  const cases: [string, string][] = [
    [HEAD + "pipelines:\n  - runs: x\n", 'demo.yaml:6:1: pipelines: unknown field "pipelines"'],
    [
      HEAD + "pipeline:\n  - runs: x\n    with-typo: 1\n",
      'demo.yaml:8:5: pipeline[0].with-typo: unknown field "with-typo"',
    ],
    [
      HEAD.replace("epoch: 2", "epoch: two"),
      'demo.yaml:4:10: package.epoch: expected a non-negative integer, got "two"',
    ],
    [HEAD + "pipeline: echo\n", 'demo.yaml:6:11: pipeline: expected a list, got "echo"'],
    [HEAD + "package2: {}\n", 'demo.yaml:6:1: package2: unknown field "package2"'],
    ["package:\n  version: 1\n", 'demo.yaml:2:3: package.name: required field "name" is missing'],
    [
      HEAD + "subpackages:\n  - name: x\n    options:\n      no-provides: maybe\n",
      "subpackages[0].options.no-provides: expected true or false",
    ],
    [HEAD + "pipeline:\n  - runs: [oops\n", "demo.yaml:8:1: invalid YAML"],
  ];
  for (const [yaml, want] of cases) {
    const err = assertThrows(() => loadConfigText(yaml, "demo.yaml"));
    assertStringIncludes(err.message, want);
  }
});

Deno.test("config: melange's variables are substituted everywhere they are used", () => {
  const c = compile(
    HEAD + `vars:
  short: \${{package.name}}-s
  derived: \${{vars.short}}x
pipeline:
  - runs: |
      \${{package.name}} \${{package.version}} \${{package.epoch}} \${{package.full-version}}
      \${{package.description}} \${{package.srcdir}} \${{targets.destdir}} \${{targets.contextdir}}
      \${{targets.outdir}} \${{build.arch}} \${{build.goarch}} \${{context.name}} \${{vars.derived}}
      \${{host.triplet.gnu}} \${{host.triplet.rust}} \${{cross.triplet.gnu.glibc}} \${{cross.triplet.gnu.musl}}
      \${{cross.triplet.rust.glibc}} \${{cross.triplet.rust.musl}} \${{targets.package.demo}}
subpackages:
  - name: \${{package.name}}-dev
    pipeline:
      - runs: \${{subpkg.name}} \${{targets.subpkgdir}} \${{targets.contextdir}} \${{context.name}}
`,
    "aarch64",
  );
  assertEquals(
    c.pipeline[0].runs,
    "demo 1.10 2 1.10-r2\na demo /home/build /home/build/melange-out/demo /home/build/melange-out/demo\n" +
      "/home/build/melange-out aarch64 arm64 demo demo-sx\n" +
      "aarch64-unknown-linux-gnu aarch64-unknown-linux-gnu aarch64-unknown-linux-gnu aarch64-unknown-linux-musl\n" +
      "aarch64-unknown-linux-gnu aarch64-unknown-linux-musl /home/build/melange-out/demo\n",
  );
  assertEquals(c.subpackages[0].name, "demo-dev");
  assertEquals(
    c.subpackages[0].pipeline[0].runs,
    "demo-dev /home/build/melange-out/demo-dev /home/build/melange-out/demo-dev demo-dev",
  );
  assertEquals(
    compile(HEAD + "pipeline:\n  - runs: ${{build.goarch}} ${{host.triplet.gnu}}\n").pipeline[0]
      .runs,
    "amd64 x86_64-pc-linux-gnu",
  );
});

Deno.test("config: an unknown variable is an error naming where it was used", () => {
  const err = assertThrows(() =>
    compile(HEAD + "pipeline:\n  - name: x\n    runs: echo ${{vars.nope}}\n")
  );
  assertStringIncludes(
    err.message,
    "demo.yaml:8:11: pipeline[0].runs: undefined variable ${{vars.nope}}",
  );
});

Deno.test("config: var-transforms use Go's regexp and replacement syntax", () => {
  const c = compile(
    HEAD.replace("1.10", "1.2.3_rc4") + `var-transforms:
  - from: \${{package.version}}
    match: ^(\\d+)\\.(\\d+)\\.(\\d+)_rc(?P<rc>\\d+)$
    replace: $1.$2.$3-rc\${rc}
    to: upstream
  - from: \${{package.version}}
    match: \\.
    replace: _
    to: underscores
  - from: abc
    match: (b)
    replace: $1x
    to: go-quirk
pipeline:
  - runs: \${{vars.upstream}} \${{vars.underscores}} [\${{vars.go-quirk}}]
`,
  );
  // Go reads "$1x" as the group named "1x", which does not exist: it expands to nothing.
  assertEquals(c.pipeline[0].runs, "1.2.3-rc4 1_2_3_rc4 [ac]");
  assertEquals(goReplaceAll("2024.01.05", "(?P<y>\\d{4})\\.(\\d+)", "${y}-${2}"), "2024-01.05");
  assertEquals(goReplaceAll("aaa", "a", "$$"), "$$$");
  assertEquals(goReplaceAll("Hello", "(?i)h", "j"), "jello");
});

Deno.test("config: if: conditions are decided as melange evaluates them", () => {
  assert(evaluate("'a' == 'a'"));
  assert(evaluate('"a" != "b" && ("x" == "y" || "z" == "z")'));
  assert(!evaluate("'a' == 'a' && 'b' == 'c'"));
  assert(evaluate("'a' == 'b' || 'c' == 'c' && 'd' == 'd'"));
  assertThrows(() => evaluate("'a' = 'a'"), Error, "expected == or !=");
  assertThrows(() => evaluate("'a' == 'a' junk"), Error, "unexpected trailing input");
  const c = compile(
    HEAD + `pipeline:
  - if: \${{build.arch}} == 'x86_64'
    runs: only on x86
  - if: \${{build.arch}} == "aarch64"
    runs: only on arm
  - if: (\${{build.arch}} != 'x86_64' || 'a' == 'a') && "\${{package.name}}" == 'demo'
    runs: both
subpackages:
  - name: never
    if: \${{build.arch}} == 'riscv64'
  - name: always
`,
  );
  assertEquals(runs(c.pipeline), ["only on x86", "both"]);
  assertEquals(c.subpackages.map((s) => s.name), ["always"]);
});

Deno.test("config: range subpackages unroll per data item, keys sorted", () => {
  const c = compile(
    HEAD + `data:
  - name: flavours
    items:
      zeta: last
      alpha: first
subpackages:
  - range: flavours
    name: demo-\${{range.key}}
    description: the \${{range.value}} one
    pipeline:
      - runs: echo \${{range.key}}=\${{range.value}} \${{subpkg.name}}
`,
  );
  assertEquals(c.subpackages.map((s) => [s.name, s.description, s.pipeline[0].runs]), [
    ["demo-alpha", "the first one", "echo alpha=first demo-alpha"],
    ["demo-zeta", "the last one", "echo zeta=last demo-zeta"],
  ]);
  assertThrows(
    () => compile(HEAD + "subpackages:\n  - range: nope\n    name: x\n"),
    Error,
    'no data named "nope"',
  );
});

Deno.test("config: uses: looks in --pipeline-dir first, checks inputs, applies defaults, adds needs", () =>
  withTempDir((dir) => {
    mkdirSync(join(dir, "my"), { recursive: true });
    writeFileSync(
      join(dir, "my", "greet.yaml"),
      `name: greet
needs:
  packages:
    - greeter-\${{inputs.flavour}}
inputs:
  who:
    description: who to greet
    required: true
  flavour:
    description: how
    default: plain
pipeline:
  - runs: greet \${{inputs.who}} \${{inputs.flavour}}
  - uses: my/inner
`,
    );
    writeFileSync(
      join(dir, "my", "inner.yaml"),
      "name: inner\npipeline:\n  - runs: inner \${{inputs.who}}\n  - uses: my/shadow\n",
    );
    // As in melange, a nested pipeline's own declared input shadows the caller's.
    writeFileSync(
      join(dir, "my", "shadow.yaml"),
      "inputs:\n  who:\n    default: nobody\npipeline:\n  - runs: shadow \${{inputs.who}}\n",
    );
    // A directory pipeline shadows the built-in one of the same name.
    writeFileSync(join(dir, "strip.yaml"), "name: strip\npipeline:\n  - runs: my own strip\n");
    const c = compile(
      HEAD + `environment:
  contents:
    packages: [busybox]
pipeline:
  - uses: my/greet
    with:
      who: world
  - uses: strip
  - uses: split/dev
`,
      "x86_64",
      [dir],
    );
    assertEquals(runs(c.pipeline).slice(0, 4), [
      "greet world plain",
      "inner world",
      "shadow nobody",
      "my own strip",
    ]);
    assertStringIncludes(runs(c.pipeline)[4], "/home/build/melange-out/demo");
    assertEquals(c.environment.contents.packages, ["busybox", "greeter-plain"]);
    const missing = assertThrows(() =>
      compile(HEAD + "pipeline:\n  - uses: my/greet\n", "x86_64", [dir])
    );
    assertStringIncludes(missing.message, 'required input "who" of pipeline "my/greet" is missing');
    const unknown = assertThrows(() =>
      compile(
        HEAD + "pipeline:\n  - uses: my/greet\n    with:\n      who: x\n      wat: y\n",
        "x86_64",
        [dir],
      )
    );
    assertStringIncludes(
      unknown.message,
      'demo.yaml:10:12: pipeline[0].with.wat: undefined input "wat" to pipeline "my/greet"',
    );
    const nope = assertThrows(() => compile(HEAD + "pipeline:\n  - uses: no/such\n"));
    assertStringIncludes(nope.message, 'no pipeline "no/such"');
    const sha = assertThrows(() =>
      compile(
        HEAD + "pipeline:\n  - uses: fetch\n    with:\n      uri: x\n      expected-sha256: abc\n",
      )
    );
    assertStringIncludes(sha.message, "expected-sha256 must be 64 hexadecimal digits");
  }));

Deno.test("config: --vars-file and --env-file change the result as in melange", () =>
  withTempDir((dir) => {
    writeFileSync(
      join(dir, "demo.yaml"),
      HEAD +
        "vars:\n  greeting: hi\nenvironment:\n  environment:\n    KEEP: file\npipeline:\n  - runs: echo ${{vars.greeting}}\n",
    );
    writeFileSync(join(dir, "vars.yaml"), "greeting: hello\n");
    writeFileSync(join(dir, "env"), '# comment\nFROM_FILE=1\nexport QUOTED="a b"\nKEEP=env\n');
    const c = compileSync(
      loadConfigSync(join(dir, "demo.yaml"), {
        varsFile: join(dir, "vars.yaml"),
        envFile: join(dir, "env"),
      }),
      {
        arch: "x86_64",
      },
    );
    assertEquals(c.pipeline[0].runs, "echo hello");
    assertEquals(c.environment.environment, { FROM_FILE: "1", QUOTED: "a b", KEEP: "file" });
    const bad = assertThrows(() =>
      loadConfigSync(join(dir, "demo.yaml"), { varsFile: join(dir, "none.yaml") })
    );
    assertStringIncludes(bad.message, "--vars-file");
  }));

Deno.test("config: the build user and group are always there, as melange adds them", () => {
  const c = compile(
    HEAD + "environment:\n  accounts:\n    users:\n      - username: other\n        uid: 2000\n",
  );
  assertEquals(c.environment.accounts?.users?.map((u) => u.username), ["other", "build"]);
  assertEquals(c.environment.accounts?.groups?.map((g) => g.groupname), ["build"]);
});

Deno.test("config: steps whose if: is false are compiled too, as melange does; what is inside them is not decided", () => {
  assertStringIncludes(
    (assertThrows(() =>
      compile(
        HEAD + `pipeline:
  - if: \${{build.arch}} == 'nope'
    runs: echo \${{vars.nope}}
`,
      )
    ) as Error).message,
    "pipeline[0].runs: undefined variable ${{vars.nope}}",
  );
  const c = compile(
    HEAD + `pipeline:
  - if: \${{build.arch}} == 'nope'
    pipeline:
      - if: "'a' = 'b'"
        runs: echo nested
  - runs: echo hi
`,
  );
  assertEquals(runs(c.pipeline), ["echo hi"]);
});

Deno.test("config: a subpackage's test is compiled whether or not the subpackage's if: holds", () => {
  const err = assertThrows(() =>
    compile(
      HEAD + `subpackages:
  - name: demo-x
    if: \${{build.arch}} == 'nope'
    pipeline:
      - runs: true
    test:
      pipeline:
        - runs: echo \${{vars.nope}}
pipeline:
  - runs: true
`,
    )
  ) as Error;
  assertStringIncludes(err.message, "subpackages[0].test.pipeline[0].runs: undefined variable");
});

Deno.test("config: with: without uses:, or uses: with runs:, is refused in the build's steps (not in tests, as melange)", () => {
  const refused = (steps: string, want: string) =>
    assertStringIncludes((assertThrows(() => compile(HEAD + steps)) as Error).message, want);
  refused(
    "pipeline:\n  - runs: echo hi\n    with:\n      a: b\n",
    "pipeline[0].with: with: is for a uses: step",
  );
  refused(
    "subpackages:\n  - name: demo-x\n    pipeline:\n      - pipeline:\n          - runs: echo\n            with:\n              a: b\n",
    "subpackages[0].pipeline[0].pipeline[0].with: with: is for a uses: step",
  );
  refused(
    `pipeline:\n  - uses: fetch\n    with:\n      uri: https://example.com/x.tar.gz\n      expected-sha256: ${
      "a".repeat(64)
    }\n    runs: echo hi\n`,
    "pipeline[0].runs: a step cannot have both uses: (fetch) and runs:",
  );
  const c = compile(
    HEAD +
      "pipeline:\n  - runs: true\ntest:\n  pipeline:\n    - runs: echo hi\n      with:\n        a: b\n",
  );
  assertEquals(runs(c.test!.pipeline), ["echo hi"]);
});
