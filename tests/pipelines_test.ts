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

/** The shell of `uses` (with `with` lines) compiled into the main package's pipeline. */
function mainScript(uses: string, root: string): string {
  const c = compileSync(
    loadConfigText(
      `package:\n  name: demo\n  version: 1\n  epoch: 0\npipeline:\n  - uses: ${uses}\n`,
      "demo.yaml",
    ),
    { arch: "x86_64" },
  );
  const flat = (s: CompiledStep[]): string[] =>
    s.flatMap((x) => [...(x.runs ? [x.runs] : []), ...flat(x.pipeline ?? [])]);
  return flat(c.pipeline).join("\n").replaceAll("/home/build/melange-out", join(root, "out"));
}

/** Runs `script` with the host's POSIX shell in `cwd`; returns its exit code and stderr. */
async function sh(script: string, cwd: string): Promise<{ code: number; stderr: string }> {
  const shell = ["/bin/busybox", "/bin/sh"].find(existsSync)!;
  const args = shell.endsWith("busybox") ? ["sh", "-ec", script] : ["-ec", script];
  const out = await new Deno.Command(shell, { args, cwd }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Creates each path under `dir` (a trailing "/" makes a directory, "a -> b" a symlink). */
function populate(dir: string, paths: string[]): void {
  for (const p of paths) {
    const [path, target] = p.split(" -> ");
    const full = join(dir, path);
    if (path.endsWith("/")) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(join(full, ".."), { recursive: true });
    if (target) Deno.symlinkSync(target, full);
    else writeFileSync(full, path);
  }
}

/** Files and symlinks (not directories) under `dir`, relative and sorted. */
function files(dir: string): string[] {
  return tree(dir).filter((p) => !Deno.lstatSync(join(dir, p)).isDirectory);
}

Deno.test("pipelines: split/lib, split/locales, split/infodir, split/alldocs and split/bin move the right files", () =>
  withTempDir(async (dir) => {
    const everything = [
      "usr/bin/demo",
      "usr/lib/libdemo.so.1 -> libdemo.so.1.2",
      "usr/lib/libdemo.so.1.2",
      "usr/lib/libother.so.3",
      "usr/lib/libdemo.so -> libdemo.so.1",
      "lib/libcore.so.2",
      "usr/share/locale/de/LC_MESSAGES/demo.mo",
      "usr/share/info/demo.info",
      "usr/share/info/dir",
      "usr/share/man/man1/demo.1",
      "usr/share/doc/demo/README",
      "etc/demo.conf",
    ];
    const cases: [string, string[], string[]][] = [
      // [uses and with:, files the subpackage gets, files gone from the main package]
      ["split/lib", [
        "lib/libcore.so.2",
        "usr/lib/libdemo.so.1",
        "usr/lib/libdemo.so.1.2",
        "usr/lib/libother.so.3",
      ], []],
      ["split/lib\n        with:\n          patterns: demo", [
        "usr/lib/libdemo.so.1",
        "usr/lib/libdemo.so.1.2",
      ], []],
      ["split/locales", ["usr/share/locale/de/LC_MESSAGES/demo.mo"], []],
      // The info directory index is regenerated on install, so it is dropped.
      ["split/infodir", ["usr/share/info/demo.info"], ["usr/share/info/dir"]],
      ["split/alldocs", [
        "usr/share/doc/demo/README",
        "usr/share/info/demo.info",
        "usr/share/man/man1/demo.1",
      ], ["usr/share/info/dir"]],
      ["split/bin", ["usr/bin/demo"], []],
    ];
    let n = 0;
    for (const [uses, moved, dropped] of cases) {
      const root = join(dir, String(n++));
      const main = join(root, "out", "demo");
      populate(main, everything);
      const { code, stderr } = await sh(splitScript(uses, root), root);
      assertEquals(code, 0, `${uses}: ${stderr}`);
      assertEquals(files(join(root, "out", "demo-sub")), moved, uses);
      const kept = everything.map((p) => p.split(" -> ")[0])
        .filter((p) => !moved.includes(p) && !dropped.includes(p)).sort();
      assertEquals(files(main), kept, `${uses} kept`);
    }
  }));

Deno.test("pipelines: split/bin and split/locales fail or do nothing sensibly on an empty package", () =>
  withTempDir(async (dir) => {
    mkdirSync(join(dir, "out", "demo"), { recursive: true });
    assertEquals((await sh(splitScript("split/locales", dir), dir)).code, 0);
    assertEquals(files(join(dir, "out", "demo-sub")), []);
    // melange's split/bin insists on a usr/bin to split.
    const bin = await sh(splitScript("split/bin", dir), dir);
    assert(bin.code !== 0 && bin.stderr.includes("usr/bin"), bin.stderr);
  }));

Deno.test("pipelines: strip removes debug sections from ELF files and leaves other files alone", () =>
  withTempDir(async (dir) => {
    const bins = ["strip", "gcc"].map((b) =>
      ["/usr/bin/", "/bin/"].map((d) => d + b).find(existsSync)
    );
    if (bins.includes(undefined)) {
      console.log("skipped: strip and gcc are needed on the host");
      return;
    }
    const main = join(dir, "out", "demo");
    populate(main, ["usr/share/demo/notes.txt", "usr/bin/"]);
    // Starts like ELF but is not one: strip fails on it and the pipeline goes on.
    writeFileSync(join(main, "usr/share/demo/fake"), "\x7fELF\x02\x01\x01 not really");
    writeFileSync(join(dir, "demo.c"), "int main(void) { return 0; }\n");
    const cc = await new Deno.Command(bins[1]!, {
      args: ["-g", "-o", join(main, "usr/bin/demo"), join(dir, "demo.c")],
    }).output();
    if (cc.code !== 0) {
      console.log("skipped: gcc cannot build a test program here");
      return;
    }
    const hasDebug = () =>
      new TextDecoder("latin1").decode(Deno.readFileSync(join(main, "usr/bin/demo")))
        .includes(".debug_info");
    assert(hasDebug(), "gcc -g wrote debug sections");
    const { code, stderr } = await sh(mainScript("strip", dir), main);
    assertEquals(code, 0, stderr);
    assert(!hasDebug(), "strip removed .debug_info");
    assertEquals(
      Deno.readTextFileSync(join(main, "usr/share/demo/notes.txt")),
      "usr/share/demo/notes.txt",
    );
    assert(existsSync(join(main, "usr/share/demo/fake")));
  }));

Deno.test("pipelines: split/debug moves debug information into the subpackage", () =>
  withTempDir(async (dir) => {
    if (!["/usr/bin/objcopy", "/usr/bin/gcc"].every(existsSync)) {
      console.log("skipped: objcopy and gcc are needed on the host");
      return;
    }
    const main = join(dir, "out", "demo");
    populate(main, ["usr/share/demo/notes.txt", "usr/bin/"]);
    writeFileSync(join(dir, "demo.c"), "int main(void) { return 0; }\n");
    const bin = join(main, "usr/bin/demo");
    const cc = await new Deno.Command("/usr/bin/gcc", {
      args: ["-g", "-o", bin, join(dir, "demo.c")],
    }).output();
    if (cc.code !== 0) {
      console.log("skipped: gcc cannot build a test program here");
      return;
    }
    const text = (p: string) => new TextDecoder("latin1").decode(Deno.readFileSync(p));
    const { code, stderr } = await sh(splitScript("split/debug", dir), dir);
    assertEquals(code, 0, stderr);
    const dbg = join(dir, "out", "demo-sub", "usr/lib/debug/usr/bin/demo.debug");
    assertEquals(files(join(dir, "out", "demo-sub")), ["usr/lib/debug/usr/bin/demo.debug"]);
    assert(text(dbg).includes(".debug_info"), "the .debug file has the debug sections");
    assert(!text(bin).includes(".debug_info"), "the binary lost them");
    assert(text(bin).includes("demo.debug"), "the binary links to its .debug file");
    assert((Deno.statSync(bin).mode! & 0o111) !== 0, "the binary is still executable");
    assertEquals(files(main), ["usr/bin/demo", "usr/share/demo/notes.txt"]);
  }));
