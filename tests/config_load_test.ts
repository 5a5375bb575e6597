/** Loading: scalar types as Go's YAML decoder reads them, checked sections, --env-file, architectures. */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { buildsFor, compileSync, loadConfigText, normalizeArch } from "../lib/config/mod.ts";
import { archVars } from "../lib/config/arch.ts";
import { parseEnvFile } from "../lib/config/envfile.ts";
import { UserError } from "../lib/errors.ts";

const HEAD = "package:\n  name: demo\n  version: 1.0.0\n";
const load = (yaml: string) => loadConfigText(HEAD + yaml, "demo.yaml");
const refused = (yaml: string) => assertThrows(() => load(yaml), UserError).message;

Deno.test("load: booleans take YAML 1.1's words, as Go's decoder does for a bool field", () => {
  const opts = (word: string) =>
    loadConfigText(
      `package:\n  name: demo\n  version: 1.0.0\n  options:\n    no-provides: ${word}\n`,
      "demo.yaml",
    ).data.package.options["no-provides"];
  assertEquals(["yes", "On", "Y", "true", "TRUE"].map(opts), [true, true, true, true, true]);
  assertEquals(["NO", "off", "n", "False"].map(opts), [false, false, false, false]);
  const quoted = assertThrows(() => opts('"true"'), UserError);
  assertStringIncludes(quoted.message, "package.options.no-provides: expected true or false");
});

Deno.test("load: integers in decimal, hex, octal and binary; epoch, uid and gid not negative", () => {
  const epoch = (v: string) =>
    loadConfigText(`package:\n  name: d\n  version: 1\n  epoch: ${v}\n`, "d.yaml").data.package
      .epoch;
  assertEquals(["3", "0x10", "0o10", "0b11", "+2"].map(epoch), [3, 16, 8, 3, 2]);
  const neg = assertThrows(() => epoch("-1"), UserError);
  assertStringIncludes(neg.message, "d.yaml:4:10: package.epoch: expected a non-negative integer");
  assertStringIncludes(
    refused("environment:\n  accounts:\n    users:\n      - username: u\n        uid: -5\n"),
    "demo.yaml:8:14: environment.accounts.users[0].uid: expected a non-negative integer",
  );
});

Deno.test("load: update:, cpe and subpackage copyright are checked field by field", () => {
  assertStringIncludes(
    refused("update:\n  enabled: true\n  github:\n    identifer: a/b\n"),
    'demo.yaml:7:5: update.github.identifer: unknown field "identifer"',
  );
  assertStringIncludes(
    refused("update:\n  enabled: maybe\n"),
    "demo.yaml:5:12: update.enabled: expected true or false",
  );
  const cpe = assertThrows(
    () => loadConfigText(HEAD + "  cpe:\n    vendr: x\n", "demo.yaml"),
    UserError,
  );
  assertStringIncludes(cpe.message, 'demo.yaml:5:5: package.cpe.vendr: unknown field "vendr"');
  const ok = load(
    "subpackages:\n  - name: x\n    copyright:\n      - license: MIT\n        paths: ['*']\n",
  );
  assertEquals(ok.data.subpackages[0].copyright, [{ license: "MIT", paths: ["*"] }]);
  const c = compileSync(
    load(
      "update:\n  enabled: true\n  release-monitor:\n    identifier: 42\n  version-transform:\n    - match: _\n      replace: .\n",
    ),
    { arch: "x86_64" },
  ) as unknown as Record<string, unknown>;
  assertEquals(c.update, {
    enabled: true,
    "release-monitor": { identifier: 42 },
    "version-transform": [{ match: "_", replace: "." }],
  });
});

Deno.test("load: duplicate keys, anchors and merge keys", () => {
  assertStringIncludes(refused("vars:\n  a: 1\n  a: 2\n"), "demo.yaml:6:3: invalid YAML");
  const c = load(
    "vars:\n  base: &b x\n  same: *b\ndata:\n  - name: d\n    items: &items\n      k: v\n  - name: e\n    items:\n      <<: *items\n      j: w\n",
  );
  assertEquals(c.data.vars, { base: "x", same: "x" });
  assertEquals(c.data.data[1].items, { k: "v", j: "w" });
});

Deno.test("env-file: read as godotenv reads it", () => {
  const env = parseEnvFile(
    [
      "# a comment",
      "export A=1",
      "B: two words # trailing comment",
      'C="x\\ny $A \\$A"',
      "D='lit $A'",
      "E=${A}b",
      'F="multi',
      'line"',
      "G=a#b",
      "H=",
      "I=a # b # c",
    ].join("\n"),
    "vars.env",
  );
  assertEquals(env, {
    A: "1",
    B: "two words",
    C: "x\ny 1 $A",
    D: "lit $A",
    E: "1b",
    F: "multi\nline",
    G: "a#b",
    H: "",
    I: "a # b",
  });
  const bad = assertThrows(() => parseEnvFile("A=1\nB-C=2\n", "vars.env"), UserError);
  assertStringIncludes(bad.message, 'vars.env:2:2: unexpected character "-"');
  const open = assertThrows(() => parseEnvFile('A="never closed\n', "vars.env"), UserError);
  assertStringIncludes(open.message, "vars.env:1:3: unterminated quoted value");
});

Deno.test("arch: names, GOARCH and triplets as apko derives them", () => {
  assertEquals(normalizeArch("amd64"), "x86_64");
  assertEquals(normalizeArch("linux/arm64"), "aarch64");
  assertEquals(normalizeArch("arm/v7"), "armv7");
  assertThrows(() => normalizeArch("sparc"), UserError);
  assertEquals(archVars("x86_64"), {
    "build.arch": "x86_64",
    "build.goarch": "amd64",
    "host.triplet.gnu": "x86_64-pc-linux-gnu",
    "host.triplet.rust": "x86_64-unknown-linux-gnu",
    "cross.triplet.gnu.glibc": "x86_64-pc-linux-gnu",
    "cross.triplet.gnu.musl": "x86_64-pc-linux-musl",
    "cross.triplet.rust.glibc": "x86_64-unknown-linux-gnu",
    "cross.triplet.rust.musl": "x86_64-unknown-linux-musl",
  });
  const arm = archVars("aarch64");
  assertEquals([arm["build.goarch"], arm["host.triplet.gnu"]], [
    "arm64",
    "aarch64-unknown-linux-gnu",
  ]);
  assertEquals(archVars("armv7")["host.triplet.gnu"], "armv7l-unknown-linux-gnueabihf");
  assertEquals(archVars("x86")["host.triplet.rust"], "i686-unknown-linux-gnu");
});

Deno.test("arch: target-architecture never stops compiling; buildsFor says whether to build", () => {
  const config = loadConfigText(
    "package:\n  name: demo\n  version: 1\n  target-architecture:\n    - aarch64\npipeline:\n  - runs: echo ${{build.arch}}\n",
    "demo.yaml",
  );
  const c = compileSync(config, { arch: "x86_64" });
  assertEquals(c.pipeline[0].runs, "echo x86_64");
  assertEquals(c.package["target-architecture"], ["aarch64"]);
  assert(!buildsFor(c.package["target-architecture"], "x86_64"));
  assert(buildsFor(c.package["target-architecture"], "arm64"));
  assert(buildsFor(undefined, "x86_64"));
  assert(buildsFor([], "x86_64"));
  assert(buildsFor(["all"], "armv7"));
  assert(buildsFor(["amd64"], "x86_64"));
});
