/**
 * Every architecture from one machine, on the real buildkitd: each example
 * built for x86_64 and aarch64 (under QEMU) in one command, with a signed
 * index per architecture, aarch64 ELF files whose `.PKGINFO` needs name the
 * aarch64 loader, and tests that pass on both; each step runs on its own
 * platform; target-architecture narrows the default; a daemon without
 * emulation is one clear error.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { arm64Daemon, canStartDaemon, startDaemon } from "./support/daemon.ts";
import { repoPath } from "./shared.ts";
import { runCli } from "./cli.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";

const { apkContents, makeKey, serveFile } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = {
  ignore: !haveDaemon || !canStartDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
};
const ARCHS = ["x86_64", "aarch64"];
/** ELF e_machine of each architecture. */
const MACHINE: Record<string, number> = { x86_64: 62, aarch64: 183 };
const fixture = (name: string) => repoPath("tests", "fixtures", "build", name);

/** Unpacks an APK (its three gzip streams are one tar to GNU tar) into `dir`. */
async function unpack(apk: string, dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const out = await new Deno.Command("tar", { args: ["-xzf", apk, "-C", dir] }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return dir;
}

function elfMachine(path: string): number {
  const b = readFileSync(path);
  assertEquals([...b.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${path} is not ELF`);
  return b.readUInt16LE(18);
}

function depends(pkginfo: string): string[] {
  return pkginfo.split("\n").filter((l) => l.startsWith("depend = ")).map((l) => l.slice(9));
}

Deno.test({
  name: "build: every example for x86_64 and aarch64 in one command each; tests pass on both",
  ...needs,
  fn: async () => {
    const daemon = await arm64Daemon(ADDR);
    const server = serveFile(repoPath("tests", "fixtures", "releases"));
    try {
      await withTempDir(async (dir) => {
        const key = await makeKey(dir);
        await Deno.writeTextFile(`${dir}/vars.yaml`, `mirror: ${server.url}\n`);
        const examples: [string, string][] = [
          ["hello.yaml", "hello-1.0.0-r0"],
          ["greeting.yaml", "greeting-2.1.0-r1"],
          ["hello-c.yaml", "hello-c-1.0-r0"],
          ["go-hello.yaml", "go-hello-0.1.0-r0"],
        ];
        for (const [example, pkg] of examples) {
          const out = `${dir}/${example}`;
          const common = [
            "--buildkit-addr",
            daemon.addr,
            "--progress",
            "quiet",
            "--out-dir",
            out,
            ...(example === "hello-c.yaml" ? ["--vars-file", `${dir}/vars.yaml`] : []),
          ];
          const built = await runCli([
            "build",
            repoPath("examples", example),
            "--arch",
            "x86_64,aarch64",
            "--signing-key",
            key,
            ...common,
          ]);
          assertEquals(built.code, 0, built.stderr);
          // No --arch: every architecture the out directory has packages for.
          const tested = await runCli([
            "test",
            repoPath("examples", example),
            "--keyring-append",
            `${key}.pub`,
            ...common,
          ]);
          assertEquals(tested.code, 0, tested.stderr);
          for (const arch of ARCHS) {
            assertStringIncludes(tested.stderr, `PASS ${pkg} (${arch})`);
            const index = await apkContents(`${out}/${arch}/APKINDEX.tar.gz`);
            assert(index.includes(".SIGN.RSA256.test.rsa.pub"), `${arch} index: ${index}`);
            for (const apk of readdirSync(`${out}/${arch}`).filter((f) => f.endsWith(".apk"))) {
              const x = await unpack(`${out}/${arch}/${apk}`, `${dir}/x/${arch}/${apk}`);
              const pkginfo = readFileSync(`${x}/.PKGINFO`, "utf8");
              assertStringIncludes(pkginfo, `\narch = ${arch}\n`, `${arch}/${apk}`);
            }
          }
        }
        for (const arch of ARCHS) {
          const c = `${dir}/x/${arch}/hello-c-1.0-r0.apk`;
          assertEquals(elfMachine(`${c}/usr/bin/hello-c`), MACHINE[arch], `hello-c ${arch}`);
          const loader = arch === "aarch64" ? "ld-linux-aarch64.so.1" : "ld-linux-x86-64.so.2";
          assertEquals(depends(readFileSync(`${c}/.PKGINFO`, "utf8")), [
            `so:${loader}`,
            "so:libc.so.6",
          ]);
          const go = `${dir}/x/${arch}/go-hello-0.1.0-r0.apk`;
          assertEquals(elfMachine(`${go}/usr/bin/go-hello`), MACHINE[arch], `go-hello ${arch}`);
          // Built with CGO_ENABLED=0: static, no shared-object needs.
          assertEquals(depends(readFileSync(`${go}/.PKGINFO`, "utf8")), []);
        }
      });
    } finally {
      await server.close();
      await daemon.stop();
    }
  },
});

Deno.test({
  name: "build: with no --arch, each architecture's steps run on its own platform",
  ...needs,
  fn: async () => {
    const daemon = await arm64Daemon(ADDR);
    try {
      await withTempDir(async (dir) => {
        const common = ["--buildkit-addr", daemon.addr, "--progress", "quiet", "--out-dir", dir];
        const built = await runCli(["build", fixture("uname.yaml"), ...common]);
        assertEquals(built.code, 0, built.stderr);
        for (const arch of ARCHS) {
          const x = await unpack(`${dir}/${arch}/uname-1.0.0-r0.apk`, `${dir}/x/${arch}`);
          assertEquals(readFileSync(`${x}/etc/built-on`, "utf8"), `${arch}\n`);
          assertEquals(readFileSync(`${x}/etc/built-for`, "utf8"), `${arch}\n`);
        }
        // The test compares the test environment's machine with the build's.
        const tested = await runCli(["test", fixture("uname.yaml"), ...common]);
        assertEquals(tested.code, 0, tested.stderr);
        for (const arch of ARCHS) assertStringIncludes(tested.stderr, `(${arch})`);
      });
    } finally {
      await daemon.stop();
    }
  },
});

Deno.test({
  name: "build: a file whose target-architecture leaves out x86_64 builds only aarch64",
  ...needs,
  fn: async () => {
    const daemon = await arm64Daemon(ADDR);
    try {
      await withTempDir(async (dir) => {
        const common = ["--buildkit-addr", daemon.addr, "--progress", "quiet"];
        for (const arch of [[], ["--arch", "amd64,arm64"]]) {
          const out = `${dir}/out${arch.length}`;
          const res = await runCli([
            "build",
            fixture("aarch64-only.yaml"),
            ...arch,
            ...common,
            "--out-dir",
            out,
          ]);
          assertEquals(res.code, 0, res.stderr);
          assertEquals(readdirSync(out), ["aarch64"]);
          if (arch.length) assertStringIncludes(res.stderr, "skipping x86_64");
          const x = await unpack(
            `${out}/aarch64/aarch64-only-1.0.0-r0.apk`,
            `${dir}/x${arch.length}`,
          );
          assertEquals(readFileSync(`${x}/etc/built-on`, "utf8"), "aarch64\n");
        }
      });
    } finally {
      await daemon.stop();
    }
  },
});

Deno.test({
  name: "build: a daemon without emulation names the missing platform and how to add it",
  ...needs,
  fn: async () => {
    const daemon = await startDaemon({ noEmulation: true });
    try {
      await withTempDir(async (dir) => {
        const common = ["--buildkit-addr", daemon.addr, "--progress", "quiet"];
        const res = await runCli([
          "build",
          fixture("uname.yaml"),
          "--arch",
          "x86_64,aarch64",
          ...common,
          "--out-dir",
          `${dir}/out`,
        ]);
        assertEquals(res.code, 1, res.stderr);
        assertStringIncludes(
          res.stderr,
          `the BuildKit daemon at ${daemon.addr} cannot run linux/arm64 (aarch64): it runs linux/amd64`,
        );
        const runs = res.stderr.split(": it runs ")[1].split(". ")[0];
        assert(!runs.includes("arm64"), runs);
        assertStringIncludes(res.stderr, "apt-get install qemu-user-static");
        assert(!res.stderr.includes("    at "), res.stderr);
        assert(!existsSync(`${dir}/out`), "nothing is written");
        // With no --arch the same daemon builds what it runs.
        const def = await runCli(["build", fixture("uname.yaml"), ...common, "--out-dir", dir]);
        assertEquals(def.code, 0, def.stderr);
        assertEquals(readdirSync(dir), ["x86_64"]);
      });
    } finally {
      await daemon.stop();
    }
  },
});
