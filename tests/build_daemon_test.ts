import { assert, assertEquals, assertRejects } from "./assert.ts";
import { ensureDaemon, findBuildkitd, socketAnswers } from "../lib/build/daemon.ts";
import { UserError } from "../lib/errors.ts";

Deno.test("an explicit address is used as given, nothing started", async () => {
  const got = await ensureDaemon("tcp://127.0.0.1:1", { buildkitd: null });
  assertEquals(got, { addr: "tcp://127.0.0.1:1" });
});

Deno.test("no daemon and no buildkitd: the error says how to start one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const err = await assertRejects(
      () => ensureDaemon(undefined, { defaultAddr: `unix://${dir}/none.sock`, buildkitd: null }),
      UserError,
    );
    assert(err.message.includes(`no BuildKit daemon answers at unix://${dir}/none.sock`));
    assert(err.message.includes("Start one with `sudo buildkitd --addr"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a local buildkitd is started at the default address when none answers",
  ignore: Deno.uid() !== 0 || !findBuildkitd(),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "melange2-daemon-" });
    const addr = `unix://${dir}/buildkitd.sock`;
    const got = await ensureDaemon(undefined, { defaultAddr: addr, stateDir: `${dir}/state` });
    try {
      assertEquals(got.addr, addr);
      assert(got.startedPid !== undefined, "a daemon was started");
      assert(await socketAnswers(addr));
      // A second call finds it answering and starts nothing.
      assertEquals(await ensureDaemon(undefined, { defaultAddr: addr }), { addr });
    } finally {
      Deno.kill(got.startedPid!, "SIGTERM");
      for (let i = 0; i < 100 && await socketAnswers(addr); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Deno.Command("umount", { args: ["-R", `${dir}/state`], stderr: "null" }).output();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
