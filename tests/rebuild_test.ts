/**
 * `rebuild`: a package built again from what it records is the same
 * package, byte for byte; a different signing key is reported as the
 * difference it makes, and fails.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { readFileSync, writeFileSync } from "node:fs";
import { rebuildInfo } from "../lib/build/rebuild.ts";

const { localRepo, makeKey } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };
const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";

const FILE = (repo: { repository: string; publicKey: string }) => `
package:
  name: again
  version: 1.2.0
  epoch: 3
  description: built twice
  copyright:
    - license: MIT
environment:
  contents:
    repositories: [${repo.repository}]
    keyring: [${repo.publicKey}]
    packages: [busybox]
vars:
  word: hello
pipeline:
  - runs: |
      mkdir -p "\${{targets.destdir}}/usr/share"
      echo "\${{vars.word}} \${{package.full-version}}" > "\${{targets.destdir}}/usr/share/again"
subpackages:
  - name: again-doc
    pipeline:
      - runs: |
          mkdir -p "\${{targets.subpkgdir}}/usr/share/doc"
          echo doc > "\${{targets.subpkgdir}}/usr/share/doc/again"
`;

Deno.test({
  name: "rebuild: packages rebuilt from their .melange.yaml, .PKGINFO and SBOM are identical; " +
    "another key is a difference",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      writeFileSync(`${dir}/again.yaml`, FILE(localRepo));
      const key = await makeKey(dir);
      const common = ["--buildkit-addr", ADDR, "--progress", "plain"];
      const env = { SOURCE_DATE_EPOCH: "" };
      const built = await runCli([
        "build",
        "again.yaml",
        "--arch",
        "host",
        ...common,
        "--signing-key",
        key,
        "--namespace",
        "wolfi",
        "--build-date",
        "2024-05-06T07:08:09Z",
        "--git-repo-url",
        "https://github.com/example/packages",
        "--license",
        "Apache-2.0",
      ], { cwd: dir, env });
      assertEquals(built.code, 0, built.stderr);
      const main = `packages/${ARCH}/again-1.2.0-r3.apk`;
      const doc = `packages/${ARCH}/again-doc-1.2.0-r3.apk`;

      const info = await rebuildInfo(readFileSync(`${dir}/${main}`), main);
      assertEquals(info.config, {
        path: "again.yaml",
        commit: "unknown",
        repositoryUrl: "https://github.com/example/packages",
        license: "Apache-2.0",
      });
      assertEquals(info.namespace, "wolfi");
      assertEquals(info.buildDate, "2024-05-06T07:08:09Z");

      const same = await runCli(
        ["rebuild", main, doc, ...common, "--signing-key", key, "--out-dir", "rebuilt"],
        { cwd: dir, env },
      );
      assertEquals(same.code, 0, same.stderr);
      assertStringIncludes(same.stderr, `${main}: the rebuild rebuilt/${ARCH}/again-1.2.0-r3.apk`);
      assertStringIncludes(same.stderr, `not rebuilding ${doc}: its origin again was rebuilt`);
      assertStringIncludes(
        same.stderr,
        `${doc}: the rebuild rebuilt/${ARCH}/again-doc-1.2.0-r3.apk`,
      );

      const other = await makeKey(dir, "other.rsa");
      const differs = await runCli(
        ["rebuild", main, ...common, "--signing-key", other, "--out-dir", "rebuilt2"],
        { cwd: dir, env },
      );
      assertEquals(differs.code, 1, differs.stderr);
      assertStringIncludes(differs.stderr, "removed: .SIGN.RSA256.test.rsa.pub");
      assertStringIncludes(differs.stderr, "added: .SIGN.RSA256.other.rsa.pub");
      assertStringIncludes(differs.stderr, "APK digest diff: ");
      assert(!differs.stderr.includes("changed: .PKGINFO"), "only the signature differs");

      // --diff=false: rebuilt, not compared.
      const noDiff = await runCli(
        [
          "rebuild",
          main,
          ...common,
          "--signing-key",
          other,
          "--out-dir",
          "rebuilt2",
          "--diff=false",
        ],
        { cwd: dir, env },
      );
      assertEquals(noDiff.code, 0, noDiff.stderr);
    }),
});

Deno.test("rebuild: a file that is not a package, or lacks what a rebuild needs, is refused", () =>
  withTempDir(async (dir) => {
    writeFileSync(`${dir}/x.apk`, "not a package");
    const res = await runCli(["rebuild", `${dir}/x.apk`]);
    assertEquals(res.code, 1);
    assert(res.stderr.startsWith(`error: ${dir}/x.apk: `), res.stderr);
    assert(!res.stderr.includes("    at "), "no stack trace");
  }));
