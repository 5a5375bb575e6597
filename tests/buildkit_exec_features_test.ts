/**
 * Exec features on the real daemon: BuildKit accepts the graphs our LLB
 * writes for secrets (file and environment), ssh agent forwarding, a
 * read-only root file system, tmpfs and cache mounts, and the step sees what
 * it should. Results leave through a writable bind mount at /out.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, sh, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { local, marshal, type RunOptions, scratch } from "../lib/llb/mod.ts";
import { busyboxRootfs } from "../lib/build/busybox.ts";
import { existsSync } from "node:fs";

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };

/** A busybox root file system at `${dir}/rootfs`, made once per directory. */
async function rootfs(dir: string): Promise<string> {
  if (!existsSync(`${dir}/rootfs`)) await busyboxRootfs(`${dir}/rootfs`);
  return `${dir}/rootfs`;
}

/** Runs `run` on busybox, exports /out to `${dir}/out`, returns the CLI result. */
async function solveStep(dir: string, run: RunOptions, extra: string[] = [], env = {}) {
  await rootfs(dir);
  const base = scratch().copy(local("rootfs"), "/", "/", { copyDirContentsOnly: true });
  const ran = base.run({
    ...run,
    mounts: [{ type: "bind", target: "/out", source: scratch() }, ...(run.mounts ?? [])],
    ignoreCache: true,
  });
  await Deno.writeFile(`${dir}/def.pb`, marshal(ran.getMount("/out")).bytes);
  return runCli([
    "solve",
    "--buildkit-addr",
    ADDR,
    "--progress",
    "plain",
    "--local",
    `rootfs=${dir}/rootfs`,
    "--output",
    `type=local,dest=${dir}/out`,
    ...extra,
    `${dir}/def.pb`,
  ], { env });
}

Deno.test({
  name: "exec: a secret file with its owner and mode, and a secret as an environment variable",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const token = `tok-${crypto.randomUUID()}`, api = `api-${crypto.randomUUID()}`;
      const res = await solveStep(
        dir,
        {
          shell: "stat -c '%a %u %g' /run/secrets/token > /out/stat; " +
            'cat /run/secrets/token > /out/token; echo -n "$API_TOKEN" > /out/api; ' +
            "test -e /run/secrets/none && echo yes > /out/optional || echo no > /out/optional",
          mounts: [
            {
              type: "secret",
              target: "/run/secrets/token",
              id: "token",
              uid: 1000,
              gid: 1001,
              mode: 0o440,
            },
            { type: "secret", target: "/run/secrets/none", id: "absent", optional: true },
          ],
          secretEnv: [{ id: "api", name: "API_TOKEN" }],
        },
        ["--secret", "id=token,env=TOKEN", "--secret", "id=api,env=API"],
        { TOKEN: token, API: api },
      );
      assertEquals(res.code, 0, res.stderr);
      assertEquals(await Deno.readTextFile(`${dir}/out/stat`), "440 1000 1001\n");
      assertEquals(await Deno.readTextFile(`${dir}/out/token`), token);
      assertEquals(await Deno.readTextFile(`${dir}/out/api`), api);
      assertEquals(await Deno.readTextFile(`${dir}/out/optional`), "no\n");
    }),
});

Deno.test({
  name: "exec: a missing required secret fails the step with the daemon's reason",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const res = await solveStep(dir, {
        shell: "true",
        mounts: [{ type: "secret", target: "/run/secrets/x", id: "never-given" }],
      });
      assertEquals(res.code, 1);
      assertStringIncludes(res.stderr, "never-given");
    }),
});

Deno.test({
  name:
    "exec: a read-only root file system cannot be written; tmpfs mounts are tmpfs of their size",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const res = await solveStep(dir, {
        shell: "touch /written 2>/dev/null && echo rw > /out/root || echo ro > /out/root; " +
          "grep ' /scratch ' /proc/mounts > /out/tmpfs; echo hi > /scratch/f && cat /scratch/f >> /out/tmpfs",
        readonlyRootfs: true,
        mounts: [{ type: "tmpfs", target: "/scratch", size: 16 << 20 }],
      });
      assertEquals(res.code, 0, res.stderr);
      assertEquals(await Deno.readTextFile(`${dir}/out/root`), "ro\n");
      const tmpfs = await Deno.readTextFile(`${dir}/out/tmpfs`);
      assert(/^tmpfs \/scratch tmpfs .*size=16384k/.test(tmpfs), tmpfs);
      assertStringIncludes(tmpfs, "hi\n");
    }),
});

Deno.test({
  name: "exec: later steps see what earlier ones left in a cache mount with the same id only",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      await rootfs(dir);
      const id = `melange2-test-${crypto.randomUUID()}`;
      const value = crypto.randomUUID();
      const cache = { type: "cache" as const, target: "/cache", id, sharing: "locked" as const };
      const base = scratch().copy(local("rootfs"), "/", "/", { copyDirContentsOnly: true });
      const wrote = base.run({ shell: `echo ${value} > /cache/v`, mounts: [cache] }).root();
      const read = wrote.run({
        shell: "cat /cache/v > /out/v; ls /other | wc -l > /out/n",
        mounts: [
          cache,
          { type: "cache", target: "/other", id: `${id}-other` },
          { type: "bind", target: "/out", source: scratch() },
        ],
      });
      await Deno.writeFile(`${dir}/def.pb`, marshal(read.getMount("/out")).bytes);
      const res = await runCli([
        "solve",
        "--buildkit-addr",
        ADDR,
        "--local",
        `rootfs=${dir}/rootfs`,
        "--output",
        `type=local,dest=${dir}/out`,
        `${dir}/def.pb`,
      ]);
      assertEquals(res.code, 0, res.stderr);
      assertEquals(await Deno.readTextFile(`${dir}/out/v`), `${value}\n`);
      assertEquals((await Deno.readTextFile(`${dir}/out/n`)).trim(), "0");
    }),
});

/** Copies a host binary and the libraries it loads into a rootfs. */
async function addHostBinary(rootfs: string, bin: string): Promise<void> {
  const libs = (await sh(`ldd ${bin}`)).split("\n")
    .map((l) => /(\/\S+) \(0x/.exec(l)?.[1])
    .filter((p): p is string => !!p);
  for (const file of [bin, ...libs]) {
    await sh(`mkdir -p ${rootfs}$(dirname ${file}) && cp -L ${file} ${rootfs}${file}`);
  }
}

Deno.test({
  name: "exec: an ssh mount forwards the client's agent (solve --ssh), SSH_AUTH_SOCK points at it",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      await sh(`ssh-keygen -q -t ed25519 -N '' -C melange2-test -f ${dir}/key`);
      const agent = await sh(`ssh-agent -a ${dir}/agent.sock -s`);
      const pid = /SSH_AGENT_PID=(\d+)/.exec(agent)![1];
      try {
        await sh(`SSH_AUTH_SOCK=${dir}/agent.sock ssh-add -q ${dir}/key`);
        const expected = await sh(`SSH_AUTH_SOCK=${dir}/agent.sock ssh-add -l`);
        await addHostBinary(await rootfs(dir), "/usr/bin/ssh-add");
        const res = await solveStep(dir, {
          shell: 'ssh-add -l > /out/keys; echo "$SSH_AUTH_SOCK" > /out/sock',
          mounts: [{ type: "ssh", target: "/run/agent.sock", mode: 0o666 }],
        }, ["--ssh", `default=${dir}/agent.sock`]);
        assertEquals(res.code, 0, res.stderr);
        assertEquals(await Deno.readTextFile(`${dir}/out/keys`), expected);
        assertStringIncludes(expected, "melange2-test");
        assertEquals(await Deno.readTextFile(`${dir}/out/sock`), "/run/agent.sock\n");
        const missing = await runCli(["solve", "--ssh", `default=${dir}/nothing`, `${dir}/def.pb`]);
        assertEquals(missing.code, 1);
        assertStringIncludes(missing.stderr, `--ssh default=${dir}/nothing`);
      } finally {
        await sh(`kill ${pid}`);
      }
    }),
});
