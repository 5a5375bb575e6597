/** `--progress rawjson` prints what buildctl prints for the same solve, line shape for line shape. */
import { assert, assertEquals } from "./assert.ts";
import { ADDR, busyboxStep, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { marshal } from "../lib/llb/mod.ts";
import { runCli } from "./cli.ts";

const buildctl = `${
  Deno.env.get("MELANGE2_BUILDKIT_BIN") ?? "/opt/melange2/buildkit/v0.32.2/bin"
}/buildctl`;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

/** Per section, the keys its entries use; and every time and every log's text. */
function shape(stream: string) {
  const keys: Record<string, Set<string>> = {};
  const times: string[] = [];
  let logs = "";
  for (const line of stream.split("\n").filter((l) => l.startsWith("{"))) {
    const msg = JSON.parse(line);
    if (msg.summary) continue;
    for (const [section, entries] of Object.entries(msg) as [string, Record<string, unknown>[]][]) {
      keys[section] ??= new Set();
      for (const e of entries) {
        for (const [k, v] of Object.entries(e)) {
          keys[section].add(k);
          if (["started", "completed", "timestamp"].includes(k)) times.push(v as string);
        }
        if (section === "logs") logs += atob(e.data as string);
      }
    }
  }
  return {
    keys: Object.fromEntries(Object.entries(keys).map(([s, k]) => [s, [...k].sort()])),
    times,
    logs,
  };
}

Deno.test({
  name: "rawjson: the same sections, field names, time and byte encodings as buildctl's",
  ignore: !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const st = await busyboxStep(dir, {
        shell: "echo hello from the step; echo and its stderr >&2",
        customName: "speak",
        ignoreCache: true,
      });
      await Deno.writeFile(`${dir}/def.pb`, marshal(st.root()).bytes);
      const ours = await runCli([
        "solve",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "rawjson",
        "--local",
        `rootfs=${dir}/rootfs`,
        `${dir}/def.pb`,
      ]);
      assertEquals(ours.code, 0, ours.stderr);
      const theirs = await new Deno.Command("/bin/sh", {
        args: [
          "-c",
          `${buildctl} --addr ${ADDR} build --progress rawjson --local rootfs=${dir}/rootfs < ${dir}/def.pb`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(theirs.code, 0, new TextDecoder().decode(theirs.stderr));

      const a = shape(ours.stderr);
      const b = shape(new TextDecoder().decode(theirs.stderr));
      assertEquals(a.keys, b.keys);
      assert(a.times.length > 0 && a.times.every((t) => TIME.test(t)), a.times.join(" "));
      assert(a.logs.includes("hello from the step") && a.logs.includes("and its stderr"), a.logs);
      assert(b.logs.includes("hello from the step"), b.logs);
    }),
});
