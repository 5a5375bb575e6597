/**
 * The set-up never stops a process it did not start: with the default
 * addresses held by something that does not answer as buildkitd, it says
 * so, leaves it running, and starts its own daemon on its own addresses,
 * which the environment it prints then names.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { sh, withTempDir } from "./support/buildkit.ts";
import { repoPath } from "./shared.ts";

const root = Deno.uid?.() === 0;

Deno.test({
  name: "setup: addresses held by another process are left alone; its own daemon takes other ones",
  ignore: !root,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      // A unix socket and a TCP port that accept connections and never answer.
      const squatter = new Deno.Command("python3", {
        args: [
          "-c",
          `
import socket, time
u = socket.socket(socket.AF_UNIX); u.bind("${dir}/held.sock"); u.listen(8)
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen(8)
print(t.getsockname()[1], flush=True)
time.sleep(600)
`,
        ],
        stdout: "piped",
      }).spawn();
      const reader = squatter.stdout.getReader();
      const port = new TextDecoder().decode((await reader.read()).value).trim();
      try {
        const out = await new Deno.Command("bash", {
          args: [repoPath("scripts", "setup.sh")],
          env: {
            MELANGE2_BUILDKIT_UNIX: `unix://${dir}/held.sock`,
            MELANGE2_TEST_TCP_ADDR: `tcp://127.0.0.1:${port}`,
            MELANGE2_RUN_DIR: `${dir}/run`,
            MELANGE2_PROBE_TIMEOUT: "2",
            MELANGE2_SETUP_DAEMON_ONLY: "1",
          },
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        assertEquals(out.code, 0, stderr);
        assertStringIncludes(stderr, `something else holds unix://${dir}/held.sock`);
        assertStringIncludes(stderr, "leaving it alone");
        const env = new TextDecoder().decode(out.stdout);
        assertStringIncludes(env, `export BUILDKIT_HOST="unix://${dir}/run/buildkitd.sock"`);
        const tcp = /MELANGE2_TEST_TCP_ADDR="(tcp:\/\/[^"]+)"/.exec(env)![1];
        assert(tcp !== `tcp://127.0.0.1:${port}`, tcp);
        // The squatter still runs; the new daemon answers where the environment says.
        assertEquals(await sh(`kill -0 ${squatter.pid} && echo alive`), "alive\n");
        const buildctl = `${Deno.env.get("MELANGE2_BUILDKIT_BIN")}/buildctl`;
        await sh(`${buildctl} --addr unix://${dir}/run/buildkitd.sock debug workers`);
        await sh(`${buildctl} --addr ${tcp} debug workers`);
      } finally {
        const pid = await Deno.readTextFile(`${dir}/run/buildkitd.pid`).catch(() => "");
        if (pid.trim()) {
          await sh(`kill ${pid.trim()}; sleep 2; umount -R ${dir}/run/root 2>/dev/null; true`);
        }
        squatter.kill();
        await squatter.status;
      }
    }),
});
