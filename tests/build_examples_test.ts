/**
 * End to end: every example builds on the real buildkitd into signed
 * packages and an index, and its tests pass; the C and Go programs run in a
 * fresh environment where their packages are installed (that is what
 * `melange2 test` does). Builds are reproducible byte for byte.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { repoPath } from "./shared.ts";
import { runCli } from "./cli.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";

const { apkContents, makeKey, serveFile } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };
const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";

/** `melange2 build` then `melange2 test` of an example; returns the arch directory. */
async function buildAndTest(dir: string, example: string, extra: string[] = []): Promise<string> {
  const key = existsSync(`${dir}/test.rsa`) ? `${dir}/test.rsa` : await makeKey(dir);
  const common = ["--buildkit-addr", ADDR, "--arch", "host", "--progress", "plain", ...extra];
  const built = await runCli([
    "build",
    repoPath("examples", example),
    "--out-dir",
    `${dir}/packages`,
    "--signing-key",
    key,
    ...common,
  ]);
  assertEquals(built.code, 0, built.stderr);
  const tested = await runCli([
    "test",
    repoPath("examples", example),
    "--out-dir",
    `${dir}/packages`,
    "--keyring-append",
    `${key}.pub`,
    ...common,
  ]);
  assertEquals(tested.code, 0, tested.stderr);
  return `${dir}/packages/${ARCH}`;
}

Deno.test({
  name: "build: the shell-only example becomes a signed package and index, and its test passes",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const out = await buildAndTest(dir, "hello.yaml");
      assertEquals(readdirSync(out).sort(), ["APKINDEX.tar.gz", "hello-1.0.0-r0.apk"]);
      const names = await apkContents(`${out}/hello-1.0.0-r0.apk`);
      assert(names.includes(".SIGN.RSA256.test.rsa.pub"), names.join(" "));
      assert(names.includes(".PKGINFO"));
      assert(names.includes("usr/bin/hello"));
      assert(names.some((n) => n.startsWith("var/lib/db/sbom/hello-1.0.0-r0.spdx.json")));
      // The control member keeps the compiled configuration, and .PKGINFO the commit of the
      // repository the file is in (the file names none), as melange records them.
      assert(names.includes(".melange.yaml"), names.join(" "));
      const { parse } = await import("yaml");
      const yaml = parse(await controlFile(`${out}/hello-1.0.0-r0.apk`, ".melange.yaml"));
      assertEquals(yaml.package.name, "hello");
      assert(Array.isArray(yaml.pipeline) && yaml.pipeline.length > 0, JSON.stringify(yaml));
      const head = new TextDecoder().decode(
        (await new Deno.Command("git", { args: ["-C", repoPath(), "rev-parse", "HEAD"] }).output())
          .stdout,
      ).trim();
      assertStringIncludes(await pkgInfo(`${out}/hello-1.0.0-r0.apk`), `\ncommit = ${head}\n`);
    }),
});

Deno.test({
  name: "build: the autoconf example fetches its release tarball and its binary runs",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const server = serveFile(repoPath("tests", "fixtures", "releases"));
      try {
        await Deno.writeTextFile(`${dir}/vars.yaml`, `mirror: ${server.url}\n`);
        const out = await buildAndTest(dir, "hello-c.yaml", ["--vars-file", `${dir}/vars.yaml`]);
        const names = await apkContents(`${out}/hello-c-1.0-r0.apk`);
        assert(names.includes("usr/bin/hello-c"), names.join(" "));
        const pkginfo = await pkgInfo(`${out}/hello-c-1.0-r0.apk`);
        assertStringIncludes(pkginfo, "depend = so:libc.so.6");
      } finally {
        await server.close();
      }
    }),
});

Deno.test({
  name: "build: the Go example builds with go/build and its binary runs",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const out = await buildAndTest(dir, "go-hello.yaml");
      const names = await apkContents(`${out}/go-hello-0.1.0-r0.apk`);
      assert(names.includes("usr/bin/go-hello"), names.join(" "));
    }),
});

Deno.test({
  name: "build: split/* pipelines move files into subpackages, each packaged and indexed",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const out = await buildAndTest(dir, "greeting.yaml");
      const files = readdirSync(out).sort();
      assertEquals(files, [
        "APKINDEX.tar.gz",
        "greeting-2.1.0-r1.apk",
        "greeting-dev-2.1.0-r1.apk",
        "greeting-doc-2.1.0-r1.apk",
        "greeting-static-2.1.0-r1.apk",
      ]);
      const main = await apkContents(`${out}/greeting-2.1.0-r1.apk`);
      assert(main.includes("usr/bin/greet"));
      assert(!main.some((n) => n.startsWith("usr/include")), main.join(" "));
      const dev = await apkContents(`${out}/greeting-dev-2.1.0-r1.apk`);
      assert(
        dev.includes("usr/include/greeting.h") && dev.includes("usr/lib/pkgconfig/greeting.pc"),
      );
      const doc = await apkContents(`${out}/greeting-doc-2.1.0-r1.apk`);
      assert(doc.some((n) => n.startsWith("usr/share/man/man1/greet.1")), doc.join(" "));
      const stat = await apkContents(`${out}/greeting-static-2.1.0-r1.apk`);
      assert(stat.includes("usr/lib/libgreeting.a"));
    }),
});

Deno.test({
  name: "build: the same file built twice gives byte-identical packages and index",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const key = await makeKey(dir);
      const outs = [`${dir}/a`, `${dir}/b`];
      for (const out of outs) {
        const res = await runCli([
          "build",
          repoPath("examples", "greeting.yaml"),
          "--buildkit-addr",
          ADDR,
          "--arch",
          "host",
          "--progress",
          "quiet",
          "--out-dir",
          out,
          "--signing-key",
          key,
        ]);
        assertEquals(res.code, 0, res.stderr);
      }
      const files = readdirSync(`${outs[0]}/${ARCH}`).sort();
      assertEquals(readdirSync(`${outs[1]}/${ARCH}`).sort(), files);
      const differ = files.filter((f) =>
        !readFileSync(`${outs[0]}/${ARCH}/${f}`).equals(readFileSync(`${outs[1]}/${ARCH}/${f}`))
      );
      assertEquals(differ, [], "files that differ between the two builds");
    }),
});

function pkgInfo(apk: string): Promise<string> {
  return controlFile(apk, ".PKGINFO");
}

/** A file of a package's control member, read by python's tarfile. */
async function controlFile(apk: string, name: string): Promise<string> {
  const script = [
    "import sys, tarfile",
    "with tarfile.open(sys.argv[1], 'r:gz') as t:",
    "    sys.stdout.write(t.extractfile(sys.argv[2]).read().decode())",
  ].join("\n");
  const out = await new Deno.Command("python3", { args: ["-c", script, apk, name] }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name:
    "test: packages built without a signing key are tested from the out directory, as the main job does",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const common = [
        "--buildkit-addr",
        ADDR,
        "--arch",
        "host",
        "--progress",
        "quiet",
        "--out-dir",
        `${dir}/packages`,
      ];
      const built = await runCli(["build", repoPath("examples", "hello.yaml"), ...common]);
      assertEquals(built.code, 0, built.stderr);
      const names = await apkContents(`${dir}/packages/${ARCH}/hello-1.0.0-r0.apk`);
      assert(!names.some((n) => n.startsWith(".SIGN.")), "unsigned");
      const tested = await runCli(["test", repoPath("examples", "hello.yaml"), ...common]);
      assertEquals(tested.code, 0, tested.stderr);
    }),
});
