/**
 * Hostile and broken build files, refused at compile time with one located
 * error: names that would become host paths, fields that would add lines
 * to .PKGINFO and APKINDEX, versions apk-tools cannot read, duplicate
 * packages, undefined aliases, and input that is not a readable text file.
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { compileSync, loadConfigSync, loadConfigText } from "../lib/config/mod.ts";
import { dependencyProblem, packageNameProblem, textProblem } from "../lib/config/validate.ts";
import { MAX_INPUT_BYTES, readInputText } from "../lib/config/readtext.ts";
import { childPath, packageSpecs } from "../lib/build/packaging.ts";
import { UserError } from "../lib/errors.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const compileText = (yaml: string) =>
  compileSync(loadConfigText(yaml, "h.yaml"), { arch: "x86_64" });
const refused = (yaml: string) => assertThrows(() => compileText(yaml), UserError).message;
const pkg = (fields: string) => `package:\n  name: demo\n  version: 1.0.0\n${fields}`;

Deno.test("hostile: package names that are paths are refused where they are written", () => {
  for (const name of ["../../x", "..", ".", "a/b", "/etc", "-x", ".hidden", "a b", "a\\tb"]) {
    const msg = refused(`package:\n  name: "${name}"\n  version: 1.0.0\n`);
    assertStringIncludes(msg, "h.yaml:2:9: package.name: invalid package name");
  }
  // melange's grammar: letters, digits, + _ . -, not first.
  for (const name of ["glibc", "py3.12-foo", "libstdc++", "gcc-14", "0ad", "X11_a"]) {
    assertEquals(packageNameProblem(name), undefined, name);
  }
  assert(packageNameProblem("a".repeat(129)));
});

Deno.test("hostile: subpackage names: grammar, duplicates, the package's own name, after ranges", () => {
  assertStringIncludes(
    refused(pkg("subpackages:\n  - name: ../../etc\n")),
    "h.yaml:5:11: subpackages[0].name: invalid package name",
  );
  assertStringIncludes(
    refused(pkg("subpackages:\n  - name: demo\n")),
    'subpackages[0].name: subpackage has the same name as the package: "demo"',
  );
  assertStringIncludes(
    refused(pkg("subpackages:\n  - name: x\n  - name: y\n  - name: x\n")),
    'h.yaml:7:11: subpackages[2].name: duplicate subpackage name "x" (subpackages[0].name)',
  );
  // A range's items become names: a key with a slash is as bad as a literal one.
  assertStringIncludes(
    refused(
      pkg(
        "data:\n  - name: d\n    items:\n      ok: 1\n      ../up: 2\nsubpackages:\n  - range: d\n    name: p-${{range.key}}\n",
      ),
    ),
    'subpackages[0].name: invalid package name "p-../up"',
  );
  // A substituted name is checked once substituted.
  assertStringIncludes(
    refused(pkg("vars:\n  n: a/b\nsubpackages:\n  - name: ${{vars.n}}\n")),
    'invalid package name "a/b"',
  );
  // Duplicates count even when a condition would drop one, as in melange.
  assertStringIncludes(
    refused(pkg("subpackages:\n  - name: x\n  - name: x\n    if: ${{package.name}} == 'no'\n")),
    "duplicate subpackage name",
  );
});

Deno.test("hostile: a line break, NUL or control character in any metadata field is refused", () => {
  const cases: [string, string][] = [
    [`  description: "x\\ndepend = evil"\n`, "package.description"],
    [`  description: "x\\rprovides = cmd:sudo=99"\n`, "package.description"],
    [`  description: "x\\0y"\n`, "package.description"],
    [`  description: "\\ud800"\n`, "package.description"],
    [`  url: "https://x\\ny"\n`, "package.url"],
    [`  commit: "abc\\u001b[31m"\n`, "package.commit"],
    [`  copyright:\n    - license: "MIT\\nprovides = x"\n`, "package.copyright[0].license"],
  ];
  for (const [fields, path] of cases) {
    const msg = refused(pkg(fields));
    assertStringIncludes(msg, `h.yaml:`);
    assertStringIncludes(msg, `${path}: `);
    assert(/contains (a line break|a NUL|the control|an unpaired)/.test(msg), msg);
  }
  assertStringIncludes(
    refused(pkg(`subpackages:\n  - name: s\n    description: "a\\nb"\n`)),
    "subpackages[0].description",
  );
  // A block scalar's line breaks are line breaks too.
  assertStringIncludes(
    refused(pkg("  description: |\n    one\n    depend = evil\n")),
    "package.description",
  );
  // A block scalar's final line break is kept by compile (as melange keeps
  // it) and left out of the package's metadata, where it would be an empty line.
  const block = compileText(pkg("  description: |\n    one line\n"));
  assertEquals(block.package.description, "one line\n");
  assertEquals(packageSpecs(block, "x86_64")[0].description, "one line");
  // Tabs and any printable Unicode are fine.
  const ok = compileText(pkg(`  description: "caf\u00e9\\tn\u00e3o \u{1f600}"\n`));
  assertEquals(ok.package.description, "caf\u00e9\tn\u00e3o \u{1f600}");
  assertEquals(textProblem("plain text"), undefined);
});

Deno.test("hostile: dependencies follow apk's [!]name[op version]; priorities are integers", () => {
  const dep = (list: string, items: string) =>
    refused(pkg(`  dependencies:\n    ${list}:\n${items}`));
  assertStringIncludes(
    dep("runtime", "      - 'a b'\n"),
    'package.dependencies.runtime[0]: invalid dependency "a b"',
  );
  assertStringIncludes(
    dep("provides", "      - 'cmd:sudo=99 beta'\n"),
    "package.dependencies.provides[0]",
  );
  assertStringIncludes(dep("provides", "      - 'x=1.0 beta'\n"), "invalid dependency");
  assertStringIncludes(dep("replaces", "      - 'x>=not-a-version'\n"), "is not an apk version");
  assertStringIncludes(dep("runtime", "      - ''\n"), "invalid dependency");
  assertStringIncludes(
    refused(pkg("  dependencies:\n    provider-priority: '10\\n'\n")),
    "package.dependencies.provider-priority: expected an integer",
  );
  for (
    const d of ["so:libc.so.6", "cmd:[", "!foo", "libarrow==24.0.0-r1", "x>=1.2_rc3-r0", "p~1"]
  ) {
    assertEquals(dependencyProblem(d), undefined, d);
  }
  assertStringIncludes(
    refused(pkg("  scriptlets:\n    trigger:\n      script: x\n      paths: ['/usr/a b']\n")),
    "package.scriptlets.trigger.paths[0]",
  );
});

Deno.test("hostile: versions are apk versions (apk-tools' grammar), epoch included", () => {
  for (const v of ["1.0 beta", "1.0-beta", "v1.0", "", "1.0-r1", "1..0", "1.0_foo", "1.0\\n"]) {
    const msg = refused(`package:\n  name: demo\n  version: "${v}"\n`);
    assert(
      /package\.version: (invalid version|required field "version" is missing)/.test(msg),
      msg,
    );
  }
  for (const v of ["1.0.0", "2.41a", "1.2_rc3", "0_git20240101", "1.0_p1~abc12"]) {
    assertEquals(compileText(`package:\n  name: demo\n  version: ${v}\n`).package.version, v);
  }
});

Deno.test("hostile: an undefined YAML alias is an error, not an empty value", () => {
  const msg = assertThrows(() => loadConfigText(pkg("  description: *nope\n"), "h.yaml"), UserError)
    .message;
  assertEquals(msg, "h.yaml:4:16: undefined YAML alias *nope");
});

Deno.test("hostile: only regular UTF-8 files up to 16 MiB are read; FIFOs and devices unread", async () => {
  const dir = mkdtempSync(join(tmpdir(), "m2-hostile-"));
  try {
    // A FIFO with no writer would block a plain read forever.
    const fifo = join(dir, "fifo.yaml");
    const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert(mk.success);
    assertStringIncludes(
      assertThrows(() => loadConfigSync(fifo), UserError).message,
      `${fifo}: not a regular file`,
    );
    assertStringIncludes(
      assertThrows(() => loadConfigSync("/dev/zero"), UserError).message,
      "/dev/zero: not a regular file",
    );
    assertStringIncludes(
      assertThrows(() => loadConfigSync(dir), UserError).message,
      "is a directory",
    );
    assertStringIncludes(
      assertThrows(() => loadConfigSync(join(dir, "absent.yaml")), UserError).message,
      "no such file",
    );
    const big = join(dir, "big.yaml");
    writeFileSync(big, new Uint8Array(MAX_INPUT_BYTES + 1).fill(0x20));
    assertStringIncludes(
      assertThrows(() => loadConfigSync(big), UserError).message,
      `files over ${MAX_INPUT_BYTES} bytes are refused`,
    );
    // Latin-1 bytes are refused at their line, not replaced with U+FFFD.
    const latin1 = join(dir, "latin1.yaml");
    writeFileSync(
      latin1,
      new Uint8Array([...new TextEncoder().encode(pkg("  description: caf")), 0xe9, 10]),
    );
    assertEquals(
      assertThrows(() => loadConfigSync(latin1), UserError).message,
      `${latin1}:4:19: not valid UTF-8 (byte 0xe9); save the file as UTF-8`,
    );
    // An overlong encoding and a truncated sequence too.
    const overlong = join(dir, "overlong.yaml");
    writeFileSync(overlong, new Uint8Array([0x61, 0x3a, 0x20, 0xc0, 0xaf, 10]));
    assertStringIncludes(
      assertThrows(() => readInputText(overlong), UserError).message,
      ":1:4: not valid UTF-8 (byte 0xc0)",
    );
    // A --vars-file is read the same way.
    const good = join(dir, "good.yaml");
    writeFileSync(good, pkg(""));
    assertStringIncludes(
      assertThrows(() => loadConfigSync(good, { varsFile: "/dev/zero" }), UserError).message,
      "--vars-file /dev/zero: not a regular file",
    );
    assertEquals(loadConfigSync(good).data.package.name, "demo");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("hostile: host paths are made only from one plain path component", () => {
  assertEquals(childPath("/out/x86_64", "demo-1.0-r0.apk"), "/out/x86_64/demo-1.0-r0.apk");
  for (const bad of ["..", ".", "", "a/b", "../x", "/etc", "a\0b"]) {
    assertThrows(() => childPath("/out/x86_64", bad), UserError);
  }
});
