/**
 * The hostile-input suite: well over 100 build files made here (each case of
 * issue 20 and its neighbours), each built by the CLI as a user would, with
 * a memory bound (prlimit --data) and a time bound (killed as a hang).
 * Every one must end with one clear message, a non-zero exit and no stack
 * trace, and write nothing: a canary tree beside the out directory, and the
 * out directory itself, are compared before and after.
 */
import { assert, assertEquals } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { snapshot } from "./support/snapshot.ts";
import { join } from "node:path";

/** One hostile input: the build file's bytes (or a path to build) and what the error says. */
export interface HostileCase {
  name: string;
  /** The build file's text or bytes; `path` instead for a file that is not one. */
  content?: string | Uint8Array;
  path?: (dir: string) => string | Promise<string>;
  /** Extra CLI arguments (`{dir}` is the case's directory). */
  args?: string[];
  /** What the one error line must match. */
  expect: RegExp;
}

const HEAD = "package:\n  name: demo\n  version: 1.0.0\n";
const pkg = (fields: string) => HEAD + fields;
const q = (s: string) => JSON.stringify(s);

/** The cases, generated: each family of issue 20, with neighbours. */
export function hostileCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (name: string, content: string | Uint8Array, expect: RegExp, args?: string[]) =>
    cases.push({ name, content, expect, args });

  // Names that would be host paths or inject fields.
  const badNames = [
    "../../x",
    "..",
    ".",
    "a/b",
    "/etc/passwd",
    "../canary/evil",
    "-x",
    ".hidden",
    "a b",
    "a\tb",
    "a\nb",
    "a\u0000b",
    "caf\u00e9",
    "a:b",
    "a*b",
    "$(id)",
    "a;b",
    "a'b",
    "x".repeat(300),
  ];
  for (const n of badNames) {
    add(
      `package name ${q(n)}`,
      `package:\n  name: ${q(n)}\n  version: 1.0.0\n`,
      /invalid package name|package name is/,
    );
    add(
      `subpackage name ${q(n)}`,
      pkg(`subpackages:\n  - name: ${q(n)}\n`),
      /subpackages\[0\]\.name: (invalid package name|package name is)/,
    );
  }
  add("empty package name", `package:\n  name: ""\n  version: 1.0.0\n`, /required field "name"/);
  add(
    "subpackage named like the package",
    pkg("subpackages:\n  - name: demo\n"),
    /same name as the package/,
  );
  add(
    "duplicate subpackages",
    pkg("subpackages:\n  - name: a\n  - name: a\n"),
    /duplicate subpackage name "a"/,
  );
  add(
    "range makes a path",
    pkg(
      "data:\n  - name: d\n    items:\n      ../x: 1\nsubpackages:\n  - range: d\n    name: p${{range.key}}\n",
    ),
    /invalid package name "p\.\.\/x"/,
  );
  add(
    "range makes duplicates",
    pkg(
      "data:\n  - name: d\n    items:\n      a: 1\n      b: 2\nsubpackages:\n  - range: d\n    name: same\n",
    ),
    /duplicate subpackage name "same"/,
  );
  add(
    "var makes a path",
    pkg("vars:\n  n: ../../tmp\nsubpackages:\n  - name: ${{vars.n}}\n"),
    /invalid package name/,
  );

  // Versions apk-tools cannot read.
  for (
    const v of [
      "1.0 beta",
      "1.0-beta",
      "v1.0",
      "1..0",
      "1.0\n",
      "1.0-r1",
      "abc",
      "1.0_foo",
      "1/0",
      "../1",
      "1.0\u0000",
    ]
  ) {
    add(
      `version ${q(v)}`,
      `package:\n  name: demo\n  version: ${q(v)}\n`,
      /package\.version: invalid version/,
    );
  }
  add("epoch negative", pkg("  epoch: -1\n"), /expected a non-negative integer/);

  // Field injection into .PKGINFO and APKINDEX.
  const inject = [
    "x\ndepend = evil",
    "x\rprovides = cmd:sudo=99",
    "x\u0000y",
    "x\u001b[31m",
    "\ud800",
  ];
  for (const v of inject) {
    for (const field of ["description", "url", "commit"]) {
      add(
        `${field} ${q(v)}`,
        pkg(`  ${field}: ${q(v)}\n`),
        new RegExp(`package\\.${field}: .*contains`),
      );
    }
  }
  add(
    "license with a line break",
    pkg(`  copyright:\n    - license: "MIT\\ndepend = x"\n`),
    /license: .*line break/,
  );
  add("block description", pkg("  description: |\n    one\n    depend = evil\n"), /line break/);
  add(
    "subpackage description",
    pkg(`subpackages:\n  - name: s\n    description: "a\\nb"\n`),
    /subpackages\[0\]\.description/,
  );
  for (const d of ["a b", "x=1.0 beta", "x>=not-a-version", "", "a\nb", "cmd:sudo=99 evil"]) {
    for (const kind of ["runtime", "provides", "replaces"]) {
      add(
        `${kind} ${q(d)}`,
        pkg(`  dependencies:\n    ${kind}:\n      - ${q(d)}\n`),
        /invalid dependency|contains/,
      );
    }
  }
  add(
    "provider-priority text",
    pkg("  dependencies:\n    provider-priority: high\n"),
    /expected an integer/,
  );
  add(
    "trigger path with a space",
    pkg("  scriptlets:\n    trigger:\n      script: x\n      paths: ['/a b']\n"),
    /trigger\.paths\[0\]/,
  );

  // YAML that is broken or built to hurt.
  add("undefined alias", pkg("  description: *nope\n"), /undefined YAML alias \*nope/);
  add("duplicate key", pkg("  name: other\n"), /duplicate key "name"/);
  add("unterminated quote", pkg("  description: 'abc\n"), /invalid YAML/);
  add("tab indentation", "package:\n\tname: demo\n", /invalid YAML/);
  add("a list, not a mapping", "- a\n- b\n", /expected a melange build file/);
  add("a scalar", "just text\n", /expected a melange build file/);
  add("empty file", "", /expected a melange build file|required field "package"/);
  add("no package", "vars:\n  a: b\n", /required field "package"/);
  add(
    "deep flow maps",
    pkg(`vars: ${"{a: ".repeat(3000)}x${"}".repeat(3000)}\n`),
    /nested more than 200 levels deep/,
  );
  add(
    "deep flow lists",
    pkg(`vars: ${"[".repeat(3000)}${"]".repeat(3000)}\n`),
    /nested more than 200 levels deep/,
  );
  add(
    "deep block maps",
    pkg(
      `update:\n${Array.from({ length: 400 }, (_, i) => `${" ".repeat(i + 1)}a:`).join("\n")} 1\n`,
    ),
    /nested more than 200 levels deep/,
  );
  let bomb = HEAD + "x0: &a0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (let k = 1; k <= 7; k++) {
    bomb += `x${k}: &a${k} [${Array(10).fill(`*a${k - 1}`).join(", ")}]\n`;
  }
  add("alias bomb", bomb, /aliases expand to more than/);
  add(
    "37k steps made with aliases",
    HEAD + "pipeline:\n  - pipeline: &s [" + Array(10).fill("{runs: echo}").join(", ") + "]\n" +
      "  - pipeline: *s\n".repeat(3700),
    /\d+ steps; a build may have at most 5000/,
  );
  add(
    "too many lines",
    pkg("vars:\n" + "  a: b\n".repeat(30_000)),
    /document too large: \d+ lines/,
  );
  add(
    "too many commas",
    pkg(`vars: {${Array.from({ length: 30_000 }, (_, i) => `v${i}: x`).join(", ")}}\n`),
    /commas/,
  );
  add(
    "Latin-1 bytes",
    new Uint8Array([...new TextEncoder().encode(pkg("  description: caf")), 0xe9, 10]),
    /not valid UTF-8 \(byte 0xe9\)/,
  );
  add(
    "NUL bytes in the file",
    new Uint8Array([...new TextEncoder().encode(HEAD), 0, 0, 10]),
    /invalid YAML|contains|expected/,
  );
  add("UTF-16 file", new Uint8Array([0xff, 0xfe, 0x70, 0, 0x3a, 0]), /not valid UTF-8/);
  add(
    "binary garbage",
    new Uint8Array(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)),
    /not valid UTF-8|invalid YAML/,
  );

  // Compile-time traps.
  add(
    "if nested 100,000 deep",
    pkg(
      `pipeline:\n  - if: "${"(".repeat(100_000)}'a' == 'a'${")".repeat(100_000)}"\n    runs: x\n`,
    ),
    /parentheses nested more than 100 deep/,
  );
  add(
    "regexp nested 50,000 deep",
    pkg(
      `var-transforms:\n  - from: x\n    match: "${"(".repeat(50_000)}a${
        ")".repeat(50_000)
      }"\n    to: t\n`,
    ),
    /expression nests too deeply/,
  );
  add(
    "regexp repeat of a billion",
    pkg(`var-transforms:\n  - from: x\n    match: "((a{1000}){1000}){1000}"\n    to: t\n`),
    /invalid repeat count/,
  );
  add(
    "undefined variable",
    pkg("pipeline:\n  - runs: echo ${{vars.nope}}\n"),
    /undefined variable/,
  );
  add("var cycle", pkg("vars:\n  a: ${{vars.b}}\n  b: ${{vars.a}}\n"), /undefined variable/);
  add("unknown field", pkg("pipelin:\n  - runs: x\n"), /unknown field "pipelin"/);
  add("bad if", pkg("pipeline:\n  - if: ('a' == 'a'\n    runs: x\n"), /expected \)|unexpected/);
  add(
    "bad regexp",
    pkg("var-transforms:\n  - from: x\n    match: '('\n    to: y\n"),
    /invalid regular expression/,
  );
  add(
    "pipeline name with ..",
    pkg("pipeline:\n  - uses: ../../etc/passwd\n"),
    /must not be absolute or contain/,
  );
  add("absolute pipeline name", pkg("pipeline:\n  - uses: /etc/passwd\n"), /must not be absolute/);
  add(
    "missing pipeline",
    pkg("pipeline:\n  - uses: no/such/pipeline\n"),
    /no pipeline "no\/such\/pipeline"/,
  );
  add(
    "missing range data",
    pkg("subpackages:\n  - range: nope\n    name: x\n"),
    /no data named "nope"/,
  );
  add(
    "10,000 steps",
    pkg("pipeline:\n" + "  - runs: echo\n".repeat(10_000)),
    /10000 steps; a build may have at most/,
  );
  add(
    "10,000 subpackages",
    pkg("subpackages:\n" + Array.from({ length: 10_000 }, (_, i) => `  - name: s${i}\n`).join("")),
    /10000 subpackages/,
  );
  add("wrong type", pkg("pipeline: yes\n"), /expected a list/);
  add(
    "bad sha256",
    pkg(
      "pipeline:\n  - uses: fetch\n    with:\n      uri: http://x/y\n      expected-sha256: abc\n",
    ),
    /64 hexadecimal digits/,
  );
  add("uses cycle", pkg("pipeline:\n  - uses: self\n"), /pipeline cycle: self -> self/, [
    "--pipeline-dir",
    "{dir}/pipelines",
  ]);
  add(
    "uses ping-pong",
    pkg("pipeline:\n  - uses: ping\n"),
    /pipeline cycle: ping -> pong -> ping/,
    ["--pipeline-dir", "{dir}/pipelines"],
  );

  // Inputs that are not build files.
  const notFile = (name: string, path: (dir: string) => string | Promise<string>, expect: RegExp) =>
    cases.push({ name, path, expect });
  notFile("FIFO", async (dir) => {
    const p = join(dir, "fifo.yaml");
    const r = await new Deno.Command("mkfifo", { args: [p] }).output();
    assert(r.success);
    return p;
  }, /not a regular file/);
  notFile("/dev/zero", () => "/dev/zero", /not a regular file/);
  notFile("symlink to /dev/zero", (dir) => {
    symlinkSync("/dev/zero", join(dir, "zero.yaml"));
    return join(dir, "zero.yaml");
  }, /not a regular file/);
  // A directory is a set of build files to `build` (issue 22): an empty one says it has none.
  notFile("a directory", (dir) => dir, /no build files \(\*\.yaml\) in this directory/);
  notFile("missing file", (dir) => join(dir, "absent.yaml"), /no such file/);
  notFile("over 16 MiB", (dir) => {
    writeFileSync(join(dir, "big.yaml"), new Uint8Array((16 << 20) + 10).fill(0x20));
    return join(dir, "big.yaml");
  }, /files over \d+ bytes are refused/);
  cases.push({
    name: "vars file is a device",
    content: HEAD,
    args: ["--vars-file", "/dev/zero"],
    expect: /--vars-file \/dev\/zero: not a regular file/,
  });
  cases.push({
    name: "signing key is /dev/zero",
    content: HEAD,
    args: ["--signing-key", "/dev/zero"],
    expect: /--signing-key \/dev\/zero: not a regular file/,
  });
  cases.push({
    name: "signing key is missing",
    content: HEAD,
    args: ["--signing-key", "{dir}/absent.rsa"],
    expect: /--signing-key .*absent\.rsa: no such file/,
  });
  cases.push({
    name: "env file is /dev/zero",
    content: HEAD,
    args: ["--env-file", "/dev/zero"],
    expect: /--env-file \/dev\/zero: not a regular file/,
  });
  return cases;
}

/** Runs one case with the CLI: bounded memory and time; returns the error line. */
async function runCase(c: HostileCase, root: string, index: number): Promise<void> {
  const dir = join(root, "work", String(index));
  mkdirSync(join(dir, "pipelines"), { recursive: true });
  writeFileSync(join(dir, "pipelines", "self.yaml"), "pipeline:\n  - uses: self\n");
  writeFileSync(join(dir, "pipelines", "ping.yaml"), "pipeline:\n  - uses: pong\n");
  writeFileSync(join(dir, "pipelines", "pong.yaml"), "pipeline:\n  - uses: ping\n");
  let file = join(dir, "build.yaml");
  if (c.path) file = await c.path(dir);
  else writeFileSync(file, c.content ?? "");
  const watched = [join(root, "canary"), join(root, "out"), dir];
  const before = watched.map(snapshot);
  const res = await runCli(
    [
      "build",
      file,
      "--arch",
      "x86_64",
      "--out-dir",
      join(root, "out"),
      "--buildkit-addr",
      ADDR,
      "--progress",
      "plain",
      ...(c.args ?? []).map((a) => a.replaceAll("{dir}", dir)),
    ],
    {
      cwd: dir,
      // A hang is killed (SIGKILL: a blocked read ignores SIGTERM); memory is bounded.
      wrapper: ["timeout", "-s", "KILL", "120", "prlimit", `--data=${1 << 30}`],
      signal: AbortSignal.timeout(120_000),
    },
  );
  const what = `${c.name}: exit ${res.code}\n${res.stderr.slice(0, 2000)}`;
  assertEquals(res.code, 1, what);
  for (const bad of ["    at ", "internal error", "Uncaught", "RangeError", "panicked"]) {
    assert(!res.stderr.includes(bad), what);
  }
  const errors = res.stderr.split("\n").filter((l) => l.startsWith("error: "));
  assertEquals(errors.length, 1, what);
  assert(res.stderr.trimStart().startsWith("error: "), what);
  assert(c.expect.test(res.stderr), `${what}\nexpected ${c.expect}`);
  // Nothing written: not beside the out directory, not in it.
  assertEquals(watched.map(snapshot), before, `${c.name}: a watched tree changed`);
}

Deno.test({
  name: "hostile suite: over 100 build files, each one clear message, no stack, nothing written",
  ignore: !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (root) => {
      const cases = hostileCases();
      assert(cases.length >= 100, `${cases.length} cases`);
      mkdirSync(join(root, "canary", "deep"), { recursive: true });
      writeFileSync(join(root, "canary", "secret"), "do not touch\n");
      writeFileSync(join(root, "canary", "deep", "file"), "nor this\n");
      // Two at a time: each case is a process of its own.
      let next = 0;
      const failures: string[] = [];
      const worker = async () => {
        while (next < cases.length) {
          const i = next++;
          try {
            await runCase(cases[i], root, i);
          } catch (err) {
            failures.push(`[${i}] ${(err as Error).message}`);
          }
        }
      };
      await Promise.all([worker(), worker()]);
      assertEquals(failures, []);
    }),
});
