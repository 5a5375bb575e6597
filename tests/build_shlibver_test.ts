/**
 * melange's `MELANGE_VERSIONED_SHLIB_DEPENDS` on the real buildkitd: a
 * subpackage linking a library its main package builds (which no index
 * offers yet) gets a `so-ver:` dependency beside the `so:` one, as melange
 * v0.59.1 writes it (its removeSelfProvidedDeps drops the `>=version`, the
 * dependency log keeps it); a library the environment's glibc versions
 * (`so-ver:libc.so.6=2.36-r0`, a version that parses) gets none; unset, or
 * with `no-versioned-shlib-deps`, nothing changes.
 */
import { assertEquals } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { readFileSync, writeFileSync } from "node:fs";
import { readApk } from "../lib/apk/archive.ts";

const { localRepo } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };
const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
const LOADER = ARCH === "aarch64" ? "ld-linux-aarch64.so.1" : "ld-linux-x86-64.so.2";

const buildFile = (repo: { repository: string; publicKey: string }) => `
package:
  name: libfoo
  version: "1.0"
  epoch: 2
  description: a shared library and a program that links it
  copyright:
    - license: MIT
environment:
  contents:
    repositories:
      - ${repo.repository}
    keyring:
      - ${repo.publicKey}
    packages:
      - busybox
      - build-base
pipeline:
  - runs: |
      mkdir -p "\${{targets.destdir}}/usr/lib"
      printf '#include <unistd.h>\\nint foo(void) { return getpid() > 0 ? 42 : 0; }\\n' > foo.c
      gcc -shared -fPIC -Wl,-soname,libfoo.so.1 -o "\${{targets.destdir}}/usr/lib/libfoo.so.1" foo.c
subpackages:
  - name: foo-tool-plain
    options:
      no-versioned-shlib-deps: true
    pipeline:
      - runs: |
          mkdir -p "\${{targets.subpkgdir}}/usr/bin"
          printf 'int foo(void);\\nint main(void) { return foo() - 42; }\\n' > main.c
          gcc -o "\${{targets.subpkgdir}}/usr/bin/foo-tool-plain" main.c "\${{targets.destdir}}/usr/lib/libfoo.so.1"
  # Last: melange's dependency log is the last package's.
  - name: foo-tool
    pipeline:
      - runs: |
          mkdir -p "\${{targets.subpkgdir}}/usr/bin"
          gcc -o "\${{targets.subpkgdir}}/usr/bin/foo-tool" main.c "\${{targets.destdir}}/usr/lib/libfoo.so.1"
`;

async function depends(file: string): Promise<string[]> {
  const apk = await readApk(readFileSync(file), new Map(), { allowUntrusted: true, source: file });
  return apk.info.depend;
}

async function build(dir: string, out: string, env: Record<string, string>) {
  const res = await runCli([
    "build",
    `${dir}/libfoo.yaml`,
    "--arch",
    "host",
    "--buildkit-addr",
    ADDR,
    "--progress",
    "quiet",
    "--out-dir",
    `${dir}/${out}`,
    "--dependency-log",
    `${dir}/${out}.deps`,
  ], { cwd: dir, env });
  assertEquals(res.code, 0, res.stderr);
  const apk = (name: string) => `${dir}/${out}/${ARCH}/${name}-1.0-r2.apk`;
  return {
    main: await depends(apk("libfoo")),
    tool: await depends(apk("foo-tool")),
    plain: await depends(apk("foo-tool-plain")),
    log: readFileSync(`${dir}/${out}.deps.${ARCH}`, "utf8"),
  };
}

Deno.test({
  name: "build: MELANGE_VERSIONED_SHLIB_DEPENDS adds so-ver: dependencies as melange does",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      writeFileSync(`${dir}/libfoo.yaml`, buildFile(localRepo));
      const plainTool = [`so:${LOADER}`, "so:libc.so.6", "so:libfoo.so.1"];

      const on = await build(dir, "on", { MELANGE_VERSIONED_SHLIB_DEPENDS: "1" });
      // libc.so.6: glibc-2.36-r0 of the environment provides so-ver:libc.so.6=2.36-r0, a
      // version apko parses, which melange v0.59.1's (inverted) test takes as "not versioned".
      assertEquals(on.main, ["so:libc.so.6"]);
      // libfoo.so.1: nothing in the indexes provides it, so melange versions it with the
      // build's own version; the .PKGINFO line has lost the ">=1.0-r2" on the way.
      assertEquals(on.tool, ["so-ver:libfoo.so.1", ...plainTool]);
      assertEquals(on.plain, plainTool);
      // The dependency log has what the analysis generated, version included.
      assertEquals(JSON.parse(on.log).runtime, [
        "so-ver:libfoo.so.1>=1.0-r2",
        ...plainTool,
      ]);

      const off = await build(dir, "off", { MELANGE_VERSIONED_SHLIB_DEPENDS: "" });
      assertEquals(off.main, ["so:libc.so.6"]);
      assertEquals(off.tool, plainTool);
      assertEquals(off.plain, plainTool);
    }),
});
