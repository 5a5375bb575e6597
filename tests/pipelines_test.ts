/** The built-in pipeline library: complete, well-formed, and the split pipelines really split. */
import { assert, assertEquals } from "./assert.ts";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { builtinPipeline, builtinPipelineNames } from "../lib/pipelines/mod.ts";
import { compileSync, loadConfigText } from "../lib/config/mod.ts";
import type { CompiledStep } from "../lib/config/mod.ts";
import { withTempDir } from "./support/tmp.ts";

// Every pipeline melange ships (pkg/build/pipelines), by name.
const MELANGE_NAMES = [
  "R/build",
  "autoconf/configure",
  "autoconf/make",
  "autoconf/make-install",
  "cargo/build",
  "cmake/build",
  "cmake/configure",
  "cmake/install",
  "fetch",
  "git-am",
  "git-checkout",
  "go/build",
  "go/build/v2",
  "go/bump",
  "go/covdata",
  "go/install",
  "llvm/covreport",
  "maven/configure-mirror",
  "maven/pombump",
  "meson/compile",
  "meson/configure",
  "meson/install",
  "npm/install",
  "patch",
  "pecl/install",
  "pecl/phpize",
  "perl/cleanup",
  "perl/make",
  "python/build",
  "python/build-wheel",
  "python/import",
  "python/install",
  "python/test",
  "ruby/build",
  "ruby/clean",
  "ruby/install",
  "split/alldocs",
  "split/bin",
  "split/debug",
  "split/dev",
  "split/infodir",
  "split/lib",
  "split/locales",
  "split/manpages",
  "split/static",
  "strip",
  "xcover/ensure",
  "xcover/profile",
  "xcover/status",
  "xcover/stop",
  "xcover/wait",
];

Deno.test("pipelines: every name melange ships is built in, and nothing else", () => {
  assertEquals(builtinPipelineNames(), [...MELANGE_NAMES].sort());
  assertEquals(builtinPipeline("nope"), undefined);
  assertEquals(builtinPipeline("toString"), undefined);
});

Deno.test("pipelines: each parses, describes its inputs, and uses only inputs it declares", () => {
  for (const name of builtinPipelineNames()) {
    const text = builtinPipeline(name)!;
    const doc = parse(text);
    assert(Array.isArray(doc.pipeline) && doc.pipeline.length, `${name}: pipeline`);
    const inputs = doc.inputs ?? {};
    for (const [k, v] of Object.entries(inputs)) {
      assert((v as { description?: string }).description, `${name}: ${k}`);
    }
    for (const m of text.matchAll(/\$\{\{inputs\.([A-Za-z0-9_-]+)\}\}/g)) {
      assert(m[1] in inputs, `${name} uses undeclared input ${m[1]}`);
    }
  }
});

Deno.test("pipelines: inputs and defaults are melange's", () => {
  const defaults = (name: string) =>
    Object.fromEntries(
      Object.entries(parse(builtinPipeline(name)!).inputs ?? {}).map((
        [k, v],
      ) => [k, (v as { default?: unknown }).default]),
    );
  assertEquals(defaults("autoconf/configure"), {
    dir: ".",
    host: "${{host.triplet.gnu}}",
    build: "${{host.triplet.gnu}}",
    opts: "",
  });
  assertEquals(defaults("go/build").toolchaintags, "netgo,osusergo");
  assertEquals(defaults("go/build").amd64, "v2");
  assertEquals(defaults("fetch")["strip-components"], 1);
  assertEquals(defaults("strip"), { opts: "-g" });
  assertEquals(defaults("cmake/configure")["output-dir"], "output");
  assertEquals(parse(builtinPipeline("fetch")!).inputs.uri.required, true);
});

/** The shell of the compiled split step, for a subpackage `sub` of `demo`, with out/ under `root`. */
function splitScript(uses: string, root: string): string {
  const c = compileSync(
    loadConfigText(
      `package:\n  name: demo\n  version: 1\n  epoch: 0\nsubpackages:\n  - name: demo-sub\n    pipeline:\n      - uses: ${uses}\n`,
      "demo.yaml",
    ),
    { arch: "x86_64" },
  );
  const flat = (s: CompiledStep[]): string[] =>
    s.flatMap((x) => [...(x.runs ? [x.runs] : []), ...flat(x.pipeline ?? [])]);
  return flat(c.subpackages[0].pipeline).join("\n").replaceAll(
    "/home/build/melange-out",
    join(root, "out"),
  );
}

function tree(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : [];
}

Deno.test("pipelines: split/dev, split/static and split/manpages move the right files", () =>
  withTempDir(async (dir) => {
    const shell = ["/bin/busybox", "/bin/sh"].find(existsSync)!;
    const cases: [string, string[]][] = [
      ["split/static", ["usr", "usr/lib", "usr/lib/libdemo.a"]],
      ["split/dev", [
        "usr",
        "usr/include",
        "usr/include/demo.h",
        "usr/lib",
        "usr/lib/libdemo.a", // melange's split/dev takes static libraries too
        "usr/lib/libdemo.so",
        "usr/lib/pkgconfig",
        "usr/lib/pkgconfig/demo.pc",
      ]],
      ["split/manpages", [
        "usr",
        "usr/share",
        "usr/share/man",
        "usr/share/man/man1",
        "usr/share/man/man1/demo.1",
      ]],
    ];
    for (const [uses, moved] of cases) {
      const root = join(dir, uses.replace("/", "-"));
      const main = join(root, "out", "demo");
      for (const d of ["usr/include", "usr/lib/pkgconfig", "usr/share/man/man1", "usr/bin"]) {
        mkdirSync(join(main, d), { recursive: true });
      }
      writeFileSync(join(main, "usr/include/demo.h"), "");
      writeFileSync(join(main, "usr/lib/pkgconfig/demo.pc"), "");
      writeFileSync(join(main, "usr/lib/libdemo.so.1"), "");
      Deno.symlinkSync("libdemo.so.1", join(main, "usr/lib/libdemo.so"));
      writeFileSync(join(main, "usr/lib/libdemo.a"), "");
      writeFileSync(join(main, "usr/share/man/man1/demo.1"), "");
      writeFileSync(join(main, "usr/bin/demo"), "");
      const args = shell.endsWith("busybox")
        ? ["sh", "-ec", splitScript(uses, root)]
        : ["-ec", splitScript(uses, root)];
      const out = await new Deno.Command(shell, { args, cwd: root }).output();
      assertEquals(out.code, 0, `${uses}: ${new TextDecoder().decode(out.stderr)}`);
      assertEquals(tree(join(root, "out", "demo-sub")), moved, uses);
      assert(existsSync(join(main, "usr/bin/demo")), `${uses} left the binary`);
    }
  }));
