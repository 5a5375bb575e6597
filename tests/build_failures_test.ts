/**
 * Builds that go wrong, against the real buildkitd: a failing step (named,
 * with its last output, and a debug image of the state before it), a failing
 * test, Ctrl-C, bad input; and two builds at once.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { repoPath } from "./shared.ts";
import { runCli } from "./cli.ts";
import { existsSync, readdirSync } from "node:fs";

const { makeKey } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };
const fixture = (name: string) => repoPath("tests", "fixtures", "build", name);

Deno.test({
  name: "build: a failing step is named with its exit code and last lines; nothing is written",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const res = await runCli([
        "build",
        fixture("failing.yaml"),
        "--buildkit-addr",
        ADDR,
        "--arch",
        "host",
        "--progress",
        "plain",
        "--out-dir",
        `${dir}/packages`,
        "--export-on-failure",
        "tarball",
        "--export-ref",
        `${dir}/debug.tar`,
      ]);
      assertEquals(res.code, 1, res.stderr);
      assertStringIncludes(res.stderr, 'step "explode" failed');
      assertStringIncludes(res.stderr, "exit code: 3");
      assertStringIncludes(res.stderr, "the last words before failing");
      assert(!res.stderr.includes("    at "), "no stack trace");
      // The error paragraph names the step, its exit code and last lines once, without the script.
      const error = res.stderr.slice(res.stderr.lastIndexOf("error: "));
      assertEquals(
        error.trim(),
        'error: step "explode" failed: exit code: 3\nlast output of "explode":\n' +
          "  first line of output\n  the last words before failing",
      );
      const left = existsSync(`${dir}/packages`)
        ? readdirSync(`${dir}/packages`, { recursive: true })
        : [];
      assertEquals(
        left.filter((n) => String(n).endsWith(".apk") || String(n).includes(".melange-out")),
        [],
      );
      assert(!existsSync(`${dir}/packages/${arch()}`), "no empty arch directory");
      // The debug image holds the state before "explode": the marker is in one of its layers.
      const layers = await imageFiles(`${dir}/debug.tar`);
      assert(layers.includes("home/build/marker"), layers.slice(0, 20).join(" "));
    }),
});

Deno.test({
  name: "build: --export-on-failure oci writes an OCI layout directory",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const res = await runCli([
        "build",
        fixture("failing.yaml"),
        "--buildkit-addr",
        ADDR,
        "--arch",
        "host",
        "--progress",
        "quiet",
        "--out-dir",
        `${dir}/packages`,
        "--export-on-failure",
        "oci",
        "--export-ref",
        `${dir}/layout`,
      ]);
      assertEquals(res.code, 1);
      assert(existsSync(`${dir}/layout/oci-layout`), res.stderr);
      assert(existsSync(`${dir}/layout/index.json`));
      assert(readdirSync(`${dir}/layout/blobs/sha256`).length >= 3);
    }),
});

Deno.test({
  name: "test: a failing test exits non-zero and shows the failing step's output",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const key = await makeKey(dir);
      const common = [
        "--buildkit-addr",
        ADDR,
        "--arch",
        "host",
        "--progress",
        "plain",
        "--out-dir",
        `${dir}/p`,
      ];
      const built = await runCli([
        "build",
        fixture("failing-test.yaml"),
        "--signing-key",
        key,
        ...common,
      ]);
      assertEquals(built.code, 0, built.stderr);
      const tested = await runCli([
        "test",
        fixture("failing-test.yaml"),
        "--keyring-append",
        `${key}.pub`,
        ...common,
      ]);
      assertEquals(tested.code, 1, tested.stderr);
      assertStringIncludes(tested.stderr, "failing-test-1.0.0-r0");
      assertStringIncludes(tested.stderr, 'step "check the answer" failed');
    }),
});

Deno.test({
  name: "build: Ctrl-C cancels the build, exits 130 and leaves no partial packages",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          repoPath("main.ts"),
          "build",
          fixture("slow.yaml"),
          "--buildkit-addr",
          ADDR,
          "--arch",
          "host",
          "--progress",
          "plain",
          "--out-dir",
          `${dir}/packages`,
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!seen.includes("sleeping now")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      assertStringIncludes(seen, "sleeping now");
      child.kill("SIGINT");
      const status = await child.status;
      while (!(await reader.read()).done) { /* drain */ }
      assertEquals(status.code, 130);
      const left = existsSync(`${dir}/packages`)
        ? readdirSync(`${dir}/packages`, { recursive: true })
        : [];
      assertEquals(
        left.map(String).filter((n) => n.includes(".apk") || n.includes(".melange-out")),
        [],
      );
    }),
});

Deno.test({
  name: "build: two builds at once against one daemon both succeed",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const run = (example: string, out: string) =>
        runCli([
          "build",
          repoPath("examples", example),
          "--buildkit-addr",
          ADDR,
          "--arch",
          "host",
          "--progress",
          "quiet",
          "--cache-namespace",
          crypto.randomUUID(),
          "--out-dir",
          out,
        ]);
      const [a, b] = await Promise.all([
        run("hello.yaml", `${dir}/a`),
        run("greeting.yaml", `${dir}/b`),
      ]);
      assertEquals(a.code, 0, a.stderr);
      assertEquals(b.code, 0, b.stderr);
      assert(existsSync(`${dir}/a/${arch()}/hello-1.0.0-r0.apk`));
      assert(existsSync(`${dir}/b/${arch()}/greeting-dev-2.1.0-r1.apk`));
    }),
});

Deno.test({
  name: "build: builds into one out directory at once all land; the index lists each package once",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const key = await makeKey(dir);
      const out = `${dir}/packages`;
      const run = (example: string) =>
        runCli([
          "build",
          repoPath("examples", example),
          "--buildkit-addr",
          ADDR,
          "--arch",
          "host",
          "--progress",
          "quiet",
          "--signing-key",
          key,
          "--out-dir",
          out,
        ]);
      // hello twice (the same package from two builds) and greeting with its subpackages.
      const results = await Promise.all([
        run("hello.yaml"),
        run("greeting.yaml"),
        run("hello.yaml"),
      ]);
      for (const r of results) assertEquals(r.code, 0, r.stderr);
      const { readIndexArchive } = await import("../lib/apk/index.ts");
      const { readFileSync } = await import("node:fs");
      const keyring = new Map([["test.rsa.pub", readFileSync(`${key}.pub`, "utf8")]]);
      const pkgs = await readIndexArchive(
        readFileSync(`${out}/${arch()}/APKINDEX.tar.gz`),
        keyring,
        { source: "APKINDEX.tar.gz" },
      );
      const files = readdirSync(`${out}/${arch()}`).filter((f) => f.endsWith(".apk")).sort();
      assertEquals(pkgs.map((p) => `${p.name}-${p.version}.apk`).sort(), files);
      assert(files.includes("hello-1.0.0-r0.apk") && files.includes("greeting-2.1.0-r1.apk"));
      assertEquals(
        readdirSync(`${out}/${arch()}`).length,
        files.length + 1,
        "only packages and index",
      );
      const tested = await runCli([
        "test",
        repoPath("examples", "greeting.yaml"),
        "--buildkit-addr",
        ADDR,
        "--arch",
        "host",
        "--progress",
        "quiet",
        "--keyring-append",
        `${key}.pub`,
        "--out-dir",
        out,
      ]);
      assertEquals(tested.code, 0, tested.stderr);
    }),
});

Deno.test({
  name: "build: --dump-llb writes the same definition twice and builds nothing",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      for (const n of [1, 2]) {
        const res = await runCli([
          "build",
          repoPath("examples", "hello.yaml"),
          "--dump-llb",
          `${dir}/def${n}.pb`,
          "--out-dir",
          `${dir}/packages`,
        ]);
        assertEquals(res.code, 0, res.stderr);
      }
      const a = await Deno.readFile(`${dir}/def1.pb`);
      assert(a.length > 100);
      assertEquals(a, await Deno.readFile(`${dir}/def2.pb`));
      assert(!existsSync(`${dir}/packages/${arch()}/hello-1.0.0-r0.apk`));
      const dumped = await runCli(["debug", "dump-llb", `${dir}/def1.pb`]);
      assertStringIncludes(dumped.stdout, "install the script");
    }),
});

Deno.test({
  name: "build: bad input gets one clear error and no stack trace",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const cases: [string[], string][] = [
        [["build", `${dir}/missing.yaml`], "missing.yaml: no such file"],
        [
          ["build", repoPath("examples", "hello.yaml"), "--arch", "sparc"],
          'unknown architecture "sparc"',
        ],
        [
          ["build", repoPath("examples", "hello.yaml"), "--source-dir", `${dir}/nope`],
          "not a directory",
        ],
        [
          ["build", repoPath("examples", "hello.yaml"), "--export-on-failure", "tarball"],
          "needs --export-ref",
        ],
      ];
      for (const [args, message] of cases) {
        const res = await runCli([...args, "--out-dir", `${dir}/packages`]);
        assertEquals(res.code, 1, `${args.join(" ")}: ${res.stderr}`);
        assertStringIncludes(res.stderr, message);
        assert(!res.stderr.includes("    at "), res.stderr);
      }
    }),
});

function arch(): string {
  return Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
}

/** Every file path in every layer of an OCI image tarball (python3's tarfile reads it). */
async function imageFiles(tarball: string): Promise<string[]> {
  const script = `
import sys, tarfile, json, io
t = tarfile.open(sys.argv[1])
index = json.load(t.extractfile("index.json"))
def blob(d): return t.extractfile("blobs/" + d.replace(":", "/")).read()
m = json.loads(blob(index["manifests"][0]["digest"]))
if "manifests" in m: m = json.loads(blob(m["manifests"][0]["digest"]))
names = []
for layer in m["layers"]:
    with tarfile.open(fileobj=io.BytesIO(blob(layer["digest"]))) as lt:
        names += [x.name for x in lt.getmembers()]
print("\\n".join(names))
`;
  const out = await new Deno.Command("python3", { args: ["-c", script, tarball] }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

Deno.test({
  name: "build: an architecture the file does not target is skipped with a message",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const yaml = Deno.readTextFileSync(repoPath("examples", "hello.yaml")).replace(
        "  epoch: 0\n",
        "  epoch: 0\n  target-architecture:\n    - riscv64\n",
      );
      Deno.writeTextFileSync(`${dir}/only-riscv.yaml`, yaml);
      const res = await runCli([
        "build",
        `${dir}/only-riscv.yaml`,
        "--buildkit-addr",
        ADDR,
        "--arch",
        "host",
        "--out-dir",
        `${dir}/packages`,
      ]);
      assertEquals(res.code, 0, res.stderr);
      assertStringIncludes(res.stderr, "skipping");
      assertStringIncludes(res.stderr, "riscv64 only");
      assertEquals(existsSync(`${dir}/packages`), false);
    }),
});
