/** Session commands run from source start again, in place, with melange2's V8 flags. */
import { assert, assertEquals } from "./assert.ts";
import { relaunchArgv, V8_FLAGS } from "../cli/v8flags.ts";
import { repoPath } from "./shared.ts";
import { compileArgs } from "../scripts/compile.ts";

const flag = `--v8-flags=${V8_FLAGS}`;

Deno.test("v8flags: session commands get the flags, others and explicit choices do not", () => {
  const deno = "/usr/bin/deno";
  assertEquals(
    relaunchArgv([deno, "run", "-A", "main.ts", "build", "x.yaml"], ["build", "x.yaml"]),
    [deno, "run", flag, "-A", "main.ts", "build", "x.yaml"],
  );
  // `deno main.ts` is short for `deno run main.ts`.
  assertEquals(
    relaunchArgv([deno, "-A", "main.ts", "--debug", "solve", "-"], ["--debug", "solve", "-"]),
    [deno, "run", flag, "-A", "main.ts", "--debug", "solve", "-"],
  );
  assertEquals(relaunchArgv([deno, "run", "-A", "main.ts", "test", "x"], ["test", "x"])?.[2], flag);
  for (const args of [["compile", "x.yaml"], ["--version"], [], ["keygen"]]) {
    assertEquals(relaunchArgv([deno, "run", "-A", "main.ts", ...args], args), undefined);
  }
  // The user's own V8 flags win.
  assertEquals(
    relaunchArgv([deno, "run", "--v8-flags=--max-old-space-size=512", "main.ts", "solve"], [
      "solve",
    ]),
    undefined,
  );
});

Deno.test({
  name: "v8flags: `deno run -A main.ts solve` is the same process afterwards, with the flags",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", repoPath("main.ts"), "solve", "-"],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      // It waits for a definition on stdin: look at its command line meanwhile.
      let cmdline = "";
      for (let i = 0; i < 100 && !cmdline.includes(flag); i++) {
        await new Promise((r) => setTimeout(r, 50));
        cmdline = Deno.readTextFileSync(`/proc/${child.pid}/cmdline`).replaceAll("\0", " ");
      }
      assert(cmdline.includes(flag), `pid ${child.pid} runs ${cmdline}`);
      assert(cmdline.includes(`${repoPath("main.ts")} solve -`), cmdline);
    } finally {
      await child.stdin.close();
      await child.status;
    }
  },
});

Deno.test("v8flags: compiled binaries carry the flags", () => {
  const args = compileArgs("x86_64-unknown-linux-gnu", "dist");
  assert(args.includes(flag), args.join(" "));
  assert(args.indexOf(flag) < args.indexOf(repoPath("main.ts")), "before the entry point");
});
