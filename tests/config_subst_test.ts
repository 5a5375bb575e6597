/**
 * Substitution as melange does it in two passes: when it reads a file, the
 * package's fields, `vars` and a range's `range.*` are replaced as plain
 * text everywhere; when it compiles, a step's `runs`, `with`, `needs`,
 * `working-directory` and `if` are substituted strictly. Each test is the
 * smallest form of a Wolfi file that our compiler once got wrong.
 */
import { assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileSync, loadConfigText } from "../lib/config/mod.ts";
import type { CompiledStep } from "../lib/config/mod.ts";
import { replaceKnown } from "../lib/config/subst.ts";
import { withTempDir } from "./support/tmp.ts";

const HEAD = `package:
  name: demo
  version: 1.2.3
  epoch: 0
  description: a demo
`;

function compile(yaml: string, pipelineDirs: string[] = []) {
  return compileSync(loadConfigText(yaml, "demo.yaml"), { arch: "x86_64", pipelineDirs });
}

const runs = (steps: CompiledStep[]): string[] =>
  steps.flatMap((s) => [...(s.runs ? [s.runs] : []), ...runs(s.pipeline ?? [])]);

const SHA256 = "a".repeat(64);
const SHA512 = "b".repeat(128);
const COMMIT = "c".repeat(40);

Deno.test("subst: checksum and commit inputs are checked as read, after the file's own replacement (nginx-mainline, glibc)", () => {
  const c = compile(
    HEAD + `vars:
  hash: ${SHA256}
  commit: ${COMMIT}
data:
  - name: sums
    items:
      one: ${SHA512}
pipeline:
  - uses: fetch
    with:
      uri: https://example.com/demo-\${{package.version}}.tar.gz
      expected-sha256: \${{vars.hash}}
  - uses: git-checkout
    with:
      repository: https://example.com/demo.git
      tag: v\${{package.version}}
      expected-commit: \${{vars.commit}}
subpackages:
  - range: sums
    name: demo-\${{range.key}}
    pipeline:
      - uses: fetch
        with:
          uri: https://example.com/\${{range.key}}.tar.gz
          expected-sha512: \${{range.value}}
`,
  );
  const all = runs(c.pipeline).join("\n");
  assertStringIncludes(all, SHA256);
  assertStringIncludes(all, COMMIT);
  assertStringIncludes(runs(c.subpackages[0].pipeline).join("\n"), SHA512);
  // A replaced value that is not a checksum is still refused.
  const err = assertThrows(() =>
    compile(
      HEAD + `vars:
  hash: not-a-sha
pipeline:
  - uses: fetch
    with:
      uri: https://example.com/x.tar.gz
      expected-sha256: \${{vars.hash}}
`,
    )
  );
  assertStringIncludes(
    err.message,
    'demo.yaml:12:24: pipeline[0].with.expected-sha256: expected-sha256 must be 64 hexadecimal digits, got "not-a-sha"',
  );
});

Deno.test("subst: a step's name is not substituted when compiling (py/collect-wheels)", () =>
  withTempDir((dir) => {
    mkdirSync(join(dir, "py"));
    // The pipeline's step name mentions an input it does not declare.
    writeFileSync(
      join(dir, "py", "collect.yaml"),
      `name: collect
inputs:
  dir:
    default: dist
pipeline:
  - name: collect wheels for \${{inputs.python}} from \${{inputs.dir}}
    runs: ls \${{inputs.dir}}
`,
    );
    const c = compile(
      HEAD + `vars:
  py: "3.12"
pipeline:
  - name: build \${{package.name}} for \${{vars.py}} into \${{targets.destdir}}
    uses: py/collect
`,
      [dir],
    );
    // The build file's own name had the package's fields and vars replaced
    // when read; nothing else is, in either name.
    assertEquals(c.pipeline[0].name, "build demo for 3.12 into ${{targets.destdir}}");
    assertEquals(
      c.pipeline[0].pipeline![0].name,
      "collect wheels for ${{inputs.python}} from ${{inputs.dir}}",
    );
    assertEquals(c.pipeline[0].pipeline![0].runs, "ls dist");
  }));

Deno.test('subst: range.key in an if: is replaced as text, so an empty key compares as "" (openblas)', () => {
  const c = compile(
    HEAD + `data:
  - name: flavours
    items:
      "": plain
      openmp: with OpenMP
subpackages:
  - range: flavours
    name: demo-x\${{range.key}}
    pipeline:
      - if: '"\${{range.key}}" == ""'
        runs: echo plain build
      - if: '"\${{range.key}}" != ""'
        runs: echo \${{range.value}} build
`,
  );
  assertEquals(c.subpackages.map((s) => [s.name, runs(s.pipeline)]), [
    ["demo-x", ["echo plain build"]],
    ["demo-xopenmp", ["echo with OpenMP build"]],
  ]);
  // Read-time values are text, not quoted strings: bare, they are not a
  // valid condition, as in melange; compile-time variables are quoted.
  assertThrows(
    () => compile(HEAD + "pipeline:\n  - if: ${{package.name}} == 'demo'\n    runs: x\n"),
    Error,
    `unexpected character "d"`,
  );
  const arch = compile(HEAD + "pipeline:\n  - if: ${{build.arch}} == 'x86_64'\n    runs: x\n");
  assertEquals(runs(arch.pipeline), ["x"]);
});

Deno.test("subst: variables inside data: item values are substituted where the value is used (mesa)", () => {
  const c = compile(
    HEAD + `vars:
  soname: libgallium
data:
  - name: libs
    items:
      gallium: \${{vars.soname}}-\${{package.version}}.so*
subpackages:
  - range: libs
    name: demo-\${{range.key}}
    pipeline:
      - runs: mv /usr/lib/\${{range.value}} \${{targets.subpkgdir}}/usr/lib/
`,
  );
  assertEquals(
    c.subpackages[0].pipeline[0].runs,
    "mv /usr/lib/libgallium-1.2.3.so* /home/build/melange-out/demo-gallium/usr/lib/",
  );
});

Deno.test("subst: a malformed reference outside a step is plain text (openjph)", () => {
  const c = compile(
    HEAD.replace("a demo", '"tools of ${{package.name} and ${{ nope }}"') + `subpackages:
  - name: \${{package.name}}-doc
    description: docs for \${{package.name}
pipeline:
  - runs: echo ok
`,
  );
  assertEquals(c.package.description, "tools of ${{package.name} and ${{ nope }}");
  assertEquals(c.subpackages[0].description, "docs for ${{package.name}");
  // In a script it is an error, as in melange.
  assertThrows(
    () => compile(HEAD + "pipeline:\n  - runs: echo ${{package.name}\n"),
    Error,
    "pipeline[0].runs: unterminated variable reference ${{package.name",
  );
});

Deno.test("subst: read-time replacement is one pass of exact names, like Go's strings.Replacer", () => {
  const vars = new Map([["a", "${{b}}"], ["b", "B"]]);
  assertEquals(replaceKnown("${{a}}/${{b}}", vars), "${{b}}/B");
  assertEquals(replaceKnown("${{ a }} ${{c}} ${{a} ${{${{b}}", vars), "${{ a }} ${{c}} ${{a} ${{B");
  assertEquals(replaceKnown("no refs", vars), "no refs");
});

Deno.test("subst: dependencies and environment packages are substituted strictly, spaces inside braces too (gradle-9)", () => {
  const c = compile(
    `package:
  name: gradle-9
  version: 9.7.1
  epoch: 2
  description: a demo
  dependencies:
    provides:
      - gradle=\${{ package.full-version }}
    runtime:
      - openjdk-\${{ vars.jdk }}
    replaces:
      - gradle-8<\${{package.version}}
vars:
  jdk: "21"
environment:
  contents:
    packages:
      - openjdk-\${{ vars.jdk }}-default-jdk
subpackages:
  - name: gradle-9-doc
    dependencies:
      provides:
        - gradle-doc=\${{ package.full-version }}
    test:
      environment:
        contents:
          packages:
            - man-\${{ vars.jdk }}
      pipeline:
        - runs: true
pipeline:
  - runs: true
test:
  environment:
    contents:
      packages:
        - gradle-9-test-\${{ vars.jdk }}
  pipeline:
    - runs: true
`,
  );
  assertEquals(c.package.dependencies?.provides, ["gradle=9.7.1-r2"]);
  assertEquals(c.package.dependencies?.runtime, ["openjdk-21"]);
  assertEquals(c.package.dependencies?.replaces, ["gradle-8<9.7.1"]);
  assertEquals(c.environment.contents.packages.includes("openjdk-21-default-jdk"), true);
  assertEquals(c.subpackages[0].dependencies?.provides, ["gradle-doc=9.7.1-r2"]);
  assertEquals(c.subpackages[0].test?.environment.contents.packages.includes("man-21"), true);
  assertEquals(c.test?.environment.contents.packages.includes("gradle-9-test-21"), true);
});

Deno.test("subst: an undefined variable in a dependency is an error at its line, as melange's", () => {
  const err = assertThrows(
    () =>
      compile(
        HEAD + `  dependencies:
    runtime:
      - foo-\${{ vars.nope }}
pipeline:
  - runs: true
`,
      ),
  );
  assertStringIncludes((err as Error).message, "demo.yaml:8:");
  assertStringIncludes((err as Error).message, "package.dependencies.runtime[0]");
  assertStringIncludes((err as Error).message, "undefined variable ${{vars.nope}}");
});

Deno.test("subst: a negative provider-priority is kept (debezium-3.6); text is refused", () => {
  const c = compile(
    HEAD + `  dependencies:
    provider-priority: -1
pipeline:
  - runs: true
`,
  );
  assertEquals(String(c.package.dependencies?.["provider-priority"]), "-1");
  const err = assertThrows(() =>
    compile(
      HEAD + `  dependencies:
    provider-priority: high
pipeline:
  - runs: true
`,
    )
  );
  assertStringIncludes((err as Error).message, 'expected an integer, got "high"');
});

Deno.test("subst: a block-scalar description keeps its final line break (ruby3.4-nokogiri); one inside is refused", () => {
  const c = compile(`package:
  name: demo
  version: 1.2.3
  epoch: 0
  description: |
    Nokogiri makes it easy.
pipeline:
  - runs: true
`);
  assertEquals(c.package.description, "Nokogiri makes it easy.\n");
  const err = assertThrows(() =>
    compile(`package:
  name: demo
  version: 1.2.3
  epoch: 0
  description: |
    one
    depend = evil
pipeline:
  - runs: true
`)
  );
  assertStringIncludes((err as Error).message, "contains a line break");
});

/** The message of what `fn` throws. */
const refusal = (fn: () => unknown): string => (assertThrows(fn) as Error).message;

Deno.test("subst: replaces and priorities know no var-transforms after the file is read (melange's applySubstitutionsForReplaces)", () => {
  const file = (ref: string) =>
    HEAD + `  dependencies:
    runtime:
      - foo-\${{ vars.mm }}
    replaces:
      - bar-${ref}
var-transforms:
  - from: \${{package.version}}
    match: ^(\\d+)\\.(\\d+).*$
    replace: $1.$2
    to: mm
pipeline:
  - runs: true
`;
  // Written exactly, it was replaced when the file was read.
  const c = compile(file("${{vars.mm}}"));
  assertEquals(c.package.dependencies?.runtime, ["foo-1.2"]);
  assertEquals(c.package.dependencies?.replaces, ["bar-1.2"]);
  assertStringIncludes(
    refusal(() => compile(file("${{ vars.mm }}"))),
    "package.dependencies.replaces[0]: undefined variable ${{vars.mm}}",
  );
});

Deno.test("subst: a var-transform reads the package's name, version, epoch and vars, not what only one of melange's maps has", () => {
  for (const name of ["build.arch", "package.description", "targets.destdir"]) {
    const err = refusal(() =>
      compile(
        HEAD + `var-transforms:
  - from: \${{${name}}}
    match: _
    replace: "-"
    to: a
pipeline:
  - runs: echo \${{vars.a}}
`,
      )
    );
    assertStringIncludes(err, `var-transforms[0]: undefined variable \${{${name}}}`);
  }
});

Deno.test("subst: steps do not know package.description; it is replaced when the file is read", () => {
  const steps = `pipeline:
  - runs: echo "\${{package.description}}"
`;
  assertEquals(compile(HEAD + steps).pipeline[0].runs, 'echo "a demo"');
  assertStringIncludes(
    refusal(() => compile(HEAD + steps + `  - runs: echo "\${{ package.description }}"\n`)),
    "pipeline[1].runs: undefined variable ${{package.description}}",
  );
});

Deno.test("subst: a subpackage's priority is not substituted after reading (melange substitutes a copy)", () => {
  const file = (ref: string) =>
    HEAD + `vars:
  prio: "10"
subpackages:
  - name: demo-x
    dependencies:
      provider-priority: ${ref}
    pipeline:
      - runs: true
pipeline:
  - runs: true
`;
  assertEquals(compile(file("${{vars.prio}}")).subpackages[0].dependencies, {
    "provider-priority": "10",
  });
  assertStringIncludes(
    refusal(() => compile(file("${{ vars.prio }}"))),
    'subpackages[0].dependencies.provider-priority: "${{ vars.prio }}" is not substituted',
  );
});

Deno.test("subst: checksum inputs are checked as written: a spaced reference is not a checksum", () => {
  assertStringIncludes(
    refusal(() =>
      compile(
        HEAD + `vars:
  sha: ${SHA256}
pipeline:
  - uses: fetch
    with:
      uri: https://example.com/x.tar.gz
      expected-sha256: \${{ vars.sha }}
`,
      )
    ),
    'expected-sha256 must be 64 hexadecimal digits, got "${{ vars.sha }}"',
  );
});

Deno.test("subst: a package name that names a var is replaced first; steps, ranges and dependencies see it replaced", () => {
  const c = compile(`package:
  name: demo-\${{vars.flavor}}
  version: 1.2.3
  epoch: 0
  description: the \${{package.name}} package
  dependencies:
    runtime:
      - \${{ package.name }}-base
vars:
  flavor: x
data:
  - name: d
    items:
      a: one
subpackages:
  - range: d
    name: \${{package.name}}-\${{range.key}}
    pipeline:
      - runs: echo \${{targets.package.demo-x}}
pipeline:
  - runs: echo \${{package.name}} \${{ package.name }} \${{targets.destdir}}
`);
  assertEquals(c.package.name, "demo-x");
  // Replaced when read, in one pass: what the name was written as (melange's strings.Replacer).
  assertEquals(c.package.description, "the demo-${{vars.flavor}} package");
  assertEquals(c.package.dependencies?.runtime, ["demo-x-base"]);
  assertEquals(c.pipeline[0].runs, "echo demo-x demo-x /home/build/melange-out/demo-x");
  assertEquals(c.subpackages.map((s) => s.name), ["demo-x-a"]);
  assertEquals(c.subpackages[0].pipeline[0].runs, "echo /home/build/melange-out/demo-x");
});
