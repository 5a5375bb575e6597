import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runCli } from "./cli.ts";
import {
  ADDR,
  busyboxStep,
  describeTree,
  haveDaemon,
  sh,
  withTempDir,
} from "./support/buildkit.ts";
import { busyboxRootfs } from "../lib/build/busybox.ts";
import { existsSync, readdirSync } from "node:fs";
import { local, marshal, scratch } from "../lib/llb/mod.ts";

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };

const BUILD_SCRIPT = [
  "set -e",
  "[ -d '/home/build' ] || mkdir -p '/home/build'",
  "cd '/home/build'",
  "mkdir -p /home/build/melange-out/hello/usr/bin",
  "echo hi > /home/build/melange-out/hello/usr/bin/hello",
  "exit 0",
].join("\n");

/** The apko-hello rootfs copied onto scratch. */
const localCopy = () =>
  scratch().copy(local("apko-hello"), "/", "/", {
    copyDirContentsOnly: true,
    customName: "copy apko rootfs",
  });

/** A melange-like build: environment, workspace, source, one step, melange-out exported. */
function melangeBuild() {
  const built = localCopy()
    .mkdir("/home/build", 0o755, { parents: true, customName: "create workspace" })
    .copy(local("source"), "/", "/home/build/", {
      copyDirContentsOnly: true,
      createDestPath: true,
      customName: "copy source",
    })
    .run({
      shell: BUILD_SCRIPT,
      cwd: "/home/build",
      user: "root",
      security: "insecure",
      env: { SOURCE_DATE_EPOCH: "0", HOME: "/home/build" },
      mounts: [{ type: "cache", target: "/go/pkg/mod", id: "melange-go-mod-cache" }],
      customName: "Build the application",
    });
  return scratch().copy(built.root(), "/home/build/melange-out", "/", {
    copyDirContentsOnly: true,
    customName: "export melange-out",
  });
}

/** Writes a graph's definition into `dir` for `solve` to read. */
async function definitionFile(dir: string, name: string, state: ReturnType<typeof scratch>) {
  const path = `${dir}/${name}.pb`;
  await Deno.writeFile(path, marshal(state).bytes);
  return path;
}

Deno.test({
  name: "solve a local copy: the exported tree is the apko-hello rootfs, byte for byte",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      await busyboxRootfs(`${dir}/rootfs`);
      await Deno.writeTextFile(`${dir}/rootfs/etc-motd`, "welcome\n");
      const res = await runCli([
        "solve",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "plain",
        "--local",
        `apko-hello=${dir}/rootfs`,
        "--output",
        `type=local,dest=${dir}/out`,
        await definitionFile(dir, "local-copy", localCopy()),
      ]);
      assertEquals(res.code, 0, res.stderr);
      assertStringIncludes(res.stderr, "copy apko rootfs");
      assertEquals(describeTree(`${dir}/out`), describeTree(`${dir}/rootfs`));
    }),
});

Deno.test({
  name: "solve a melange-like build: runs the step as root (insecure) and exports only melange-out",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      await busyboxRootfs(`${dir}/rootfs`);
      await Deno.mkdir(`${dir}/source`);
      await Deno.writeTextFile(`${dir}/source/README`, "source\n");
      const res = await runCli([
        "solve",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "plain",
        "--allow",
        "security.insecure",
        "--local",
        `apko-hello=${dir}/rootfs`,
        "--local",
        `source=${dir}/source`,
        "--output",
        `type=local,dest=${dir}/out`,
        await definitionFile(dir, "melange-build", melangeBuild()),
      ]);
      assertEquals(res.code, 0, res.stderr);
      assertEquals(Object.keys(describeTree(`${dir}/out`)), [
        "hello",
        "hello/usr",
        "hello/usr/bin",
        "hello/usr/bin/hello",
      ]);
      assertEquals(await Deno.readTextFile(`${dir}/out/hello/usr/bin/hello`), "hi\n");
      assertStringIncludes(res.stderr, "Build the application");
    }),
});

Deno.test({
  name: "solve: a tar export writes the result as a tar stream",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      await busyboxRootfs(`${dir}/rootfs`);
      const res = await runCli([
        "solve",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "quiet",
        "--local",
        `apko-hello=${dir}/rootfs`,
        "--output",
        `type=tar,dest=${dir}/out.tar`,
        await definitionFile(dir, "local-copy", localCopy()),
      ]);
      assertEquals(res.code, 0, res.stderr);
      const listing = await sh(
        `python3 -c "import tarfile; print('\\n'.join(sorted(tarfile.open('${dir}/out.tar').getnames())))"`,
      );
      assert(listing.split("\n").includes("bin/busybox"), listing);
      assert(listing.split("\n").includes("bin/sh"), listing);
      assertEquals(
        readdirSync(dir).filter((n) => n.includes("melange2-")),
        [],
        "no temporary left",
      );
    }),
});

Deno.test({
  name: "solve: a failed step names the step, its exit code and last output, and leaves no output",
  ignore: !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const { marshal } = await import("../lib/llb/mod.ts");
      const st = await busyboxStep(dir, {
        shell: "echo preparing; echo something broke >&2; exit 3",
        customName: "compile things",
        ignoreCache: true,
      });
      await Deno.writeFile(`${dir}/def.pb`, marshal(st.root()).bytes);
      const res = await runCli([
        "solve",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "quiet",
        "--local",
        `rootfs=${dir}/rootfs`,
        "--output",
        `type=local,dest=${dir}/out`,
        `${dir}/def.pb`,
      ]);
      assertEquals(res.code, 1);
      assertStringIncludes(res.stderr, `step "compile things" failed`);
      assertStringIncludes(res.stderr, "exit code: 3");
      assertStringIncludes(res.stderr, "something broke");
      assert(!res.stderr.includes("    at "), "no stack trace");
      assertEquals(existsSync(`${dir}/out`), false);
      assertEquals(readdirSync(dir).filter((n) => n.includes("melange2-")), []);
    }),
});

Deno.test({
  name: "solve: errors for a missing local directory, an unreachable daemon, a bad definition",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const missing = await withTempDir(async (dir) =>
      runCli([
        "solve",
        "--buildkit-addr",
        ADDR,
        "--local",
        "src=/nonexistent/dir",
        await definitionFile(dir, "local-copy", localCopy()),
      ])
    );
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "local source src: /nonexistent/dir");
    const down = await runCli([
      "buildkit",
      "workers",
      "--buildkit-addr",
      "unix:///nonexistent/buildkitd.sock",
    ]);
    assertEquals(down.code, 1);
    assertStringIncludes(
      down.stderr,
      "cannot reach BuildKit at unix:///nonexistent/buildkitd.sock",
    );
    assertStringIncludes(down.stderr, "buildkitd");
    const badAddr = await runCli(["buildkit", "info", "--buildkit-addr", "http://x"]);
    assertEquals(badAddr.code, 1);
    assertStringIncludes(badAddr.stderr, "unsupported BuildKit address");
    for (const r of [missing, down, badAddr]) assert(!r.stderr.includes("    at "), r.stderr);
  },
});

Deno.test({
  name: "solve: Ctrl-C cancels the build, exits 130 and leaves no partial output",
  ignore: !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const { marshal } = await import("../lib/llb/mod.ts");
      const st = await busyboxStep(dir, {
        shell: `echo started; sleep 60; echo ${crypto.randomUUID()}`,
        customName: "long step",
        ignoreCache: true,
      });
      await Deno.writeFile(`${dir}/def.pb`, marshal(st.root()).bytes);
      const { repoPath } = await import("./shared.ts");
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          repoPath("main.ts"),
          "solve",
          "--buildkit-addr",
          ADDR,
          "--progress",
          "plain",
          "--local",
          `rootfs=${dir}/rootfs`,
          "--output",
          `type=local,dest=${dir}/out`,
          `${dir}/def.pb`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!seen.includes("started")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      child.kill("SIGINT");
      const t0 = Date.now();
      const status = await child.status;
      while (!(await reader.read()).done) { /* drain */ }
      await child.stdout.cancel();
      assertEquals(status.code, 130);
      assert(Date.now() - t0 < 20_000, "cancelled promptly");
      assertEquals(existsSync(`${dir}/out`), false);
      assertEquals(readdirSync(dir).filter((n) => n.includes("melange2-")), []);
    }),
});
