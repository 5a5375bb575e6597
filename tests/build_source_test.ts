/**
 * melange's source/workspace semantics: `build` copies the build file's
 * directory (or --source-dir) into /home/build, less its .melangeignore and
 * less melange2's own outputs; `test` copies --source-dir only.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildSource, testSource } from "../lib/build/source.ts";
import { PatternMatcher } from "../lib/buildkit/patterns.ts";
import { readApk, walkData } from "../lib/apk/archive.ts";

const { localRepo } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };
const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";

Deno.test("source: build's default is the build file's directory, less .melangeignore and outputs", () =>
  withTempDir((dir) => {
    writeFileSync(`${dir}/pkg.yaml`, "");
    writeFileSync(`${dir}/.melangeignore`, "*.log\n/build/\n");
    const src = buildSource({
      configFile: `${dir}/pkg.yaml`,
      outputs: [`${dir}/packages`, `${dir}/sub/ws`, "/elsewhere/out", dir, undefined],
      outputPrefixes: [`${dir}/deps[1]`],
    })!;
    assertEquals(src.dir, resolve(dir));
    // The out directory and the workspace export inside it are left out; ones outside it, or
    // the directory itself, are not patterns.
    assertEquals(src.exclude, ["**/*.log", "build/", "packages", "sub/ws", "deps\\[1]*"]);
    const m = new PatternMatcher(src.exclude!);
    assertEquals(m.matches("packages/x86_64/a.apk"), true);
    assertEquals(m.matches("deps[1].x86_64"), true);
    assertEquals(m.matches("deps1.x86_64"), false);
    assertEquals(m.matches("src/main.c"), false);
    assertEquals(m.matches("a/b.log"), true);

    // --source-dir wins; --empty-workspace copies nothing.
    mkdirSync(`${dir}/other`);
    assertEquals(buildSource({ configFile: `${dir}/pkg.yaml`, sourceDir: `${dir}/other` }), {
      dir: resolve(dir, "other"),
      exclude: undefined,
    });
    assertEquals(buildSource({ configFile: `${dir}/pkg.yaml`, emptyWorkspace: true }), undefined);
    // A file named without a directory: the current directory.
    assertEquals(buildSource({ configFile: "pkg.yaml" })!.dir, resolve("."));
  }));

Deno.test("source: test copies --source-dir only (melange's test has no default)", () => {
  assertEquals(testSource({}), undefined);
  assertEquals(testSource({ sourceDir: "x" }), { dir: resolve("x") });
  assertEquals(testSource({ sourceDir: "x", emptyWorkspace: true }), undefined);
});

const FILE = (repo: { repository: string; publicKey: string }) => `
package:
  name: src
  version: 1.0.0
  epoch: 0
  description: lists its workspace
environment:
  contents:
    repositories: [${repo.repository}]
    keyring: [${repo.publicKey}]
    packages: [busybox]
pipeline:
  - runs: |
      mkdir -p "\${{targets.destdir}}/usr/share"
      # melange-out and the cache mounts (shared with other builds) are not the source.
      find . -type f | grep -v -e '^./melange-out/' -e '^./.cache/' -e '^./go/' -e '^./.npm/' -e '^./.cargo/' -e '^./.ccache/' | sort > "\${{targets.destdir}}/usr/share/ws"
test:
  environment:
    contents:
      packages: [busybox]
  pipeline:
    - runs: |
        ls -A /home/build
        test ! -e /home/build/src.yaml
        echo tested > /home/build/result
`;

async function listing(apk: string): Promise<string> {
  const pkg = await readApk(readFileSync(apk), new Map(), { allowUntrusted: true, source: apk });
  let text = "";
  await walkData(pkg.data, (h, content) => {
    if (h.name === "usr/share/ws") text = new TextDecoder().decode(content);
  });
  return text;
}

Deno.test({
  name: "build: the build file's directory is copied into the workspace as melange does " +
    "(.melangeignore respected, melange2's own outputs left out); test copies none; " +
    "test --workspace-dir",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      writeFileSync(join(dir, "src.yaml"), FILE(localRepo));
      writeFileSync(join(dir, ".melangeignore"), "*.log\nscratch/\n");
      writeFileSync(join(dir, "data.txt"), "data\n");
      writeFileSync(join(dir, "debug.log"), "noise\n");
      mkdirSync(join(dir, "scratch"));
      writeFileSync(join(dir, "scratch", "tmp"), "x\n");
      mkdirSync(join(dir, "patches"));
      writeFileSync(join(dir, "patches", "fix.patch"), "--- a\n");
      const build = (extra: string[] = []) =>
        runCli([
          "build",
          "src.yaml",
          ...extra,
          "--arch",
          "host",
          "--buildkit-addr",
          ADDR,
          "--progress",
          "plain",
          "--create-build-log",
        ], { cwd: dir });
      // --log-level as melange's (any case): debug shows what is copied and left out.
      const first = await build(["--log-level", "DEBUG"]);
      assertEquals(first.code, 0, first.stderr);
      assertStringIncludes(
        first.stderr,
        `debug: ${ARCH}: workspace from ${dir}, excluding **/*.log **/scratch/ packages packages.log;`,
      );
      const expected = "./.melangeignore\n./data.txt\n./patches/fix.patch\n./src.yaml\n";
      assertEquals(await listing(`${dir}/packages/${ARCH}/src-1.0.0-r0.apk`), expected);

      // The second build sees the first one's packages/ and packages.log in the directory:
      // neither is copied in (the listing is the same, so the steps are cached).
      const second = await build(["--log-level", "warn"]);
      assertEquals(second.code, 0, second.stderr);
      assert(!second.stderr.includes("populating the workspace"), "warn: no notes");
      assert(!second.stderr.includes("debug:"), "warn: no debug lines");
      assertStringIncludes(second.stderr, "[CACHED]");
      assertEquals(await listing(`${dir}/packages/${ARCH}/src-1.0.0-r0.apk`), expected);

      // test: no source directory unless named (the step fails if src.yaml is there);
      // --workspace-dir: the workspace as the test left it, in DIR/<arch>.
      const tested = await runCli([
        "test",
        "src.yaml",
        "--workspace-dir",
        "tws",
        "--arch",
        "host",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "plain",
      ], { cwd: dir });
      assertEquals(tested.code, 0, tested.stderr);
      assertEquals(readFileSync(`${dir}/tws/${ARCH}/result`, "utf8"), "tested\n");
      const withSource = await runCli([
        "test",
        "src.yaml",
        "--arch",
        "host",
        "--source-dir",
        ".",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "plain",
      ], { cwd: dir });
      assertEquals(withSource.code, 1, "--source-dir . copies src.yaml in: the step fails");
    }),
});
