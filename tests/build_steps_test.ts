import { assertEquals } from "./assert.ts";
import { envList, mergeEnv, shellQuote, stepScript, workdirOf } from "../lib/build/steps.ts";

Deno.test("a step's script has melange's preamble and ends with exit 0", () => {
  assertEquals(
    stepScript("make\nmake install\n\n", "/home/build/src"),
    "set -e\n[ -d '/home/build/src' ] || mkdir -p '/home/build/src'\ncd '/home/build/src'\nmake\nmake install\nexit 0",
  );
  assertEquals(stepScript("true", "/x", true).split("\n")[0], "set -ex");
});

Deno.test("working directories are relative to the workspace unless absolute", () => {
  assertEquals(workdirOf(undefined), "/home/build");
  assertEquals(workdirOf("src/hello"), "/home/build/src/hello");
  assertEquals(workdirOf("/opt/x"), "/opt/x");
});

Deno.test("quoting survives single quotes", async () => {
  const q = shellQuote("it's a 'test'");
  const out = await new Deno.Command("/bin/sh", { args: ["-c", `printf %s ${q}`] }).output();
  assertEquals(new TextDecoder().decode(out.stdout), "it's a 'test'");
});

Deno.test("environments merge left to right and list sorted", () => {
  const env = mergeEnv({ B: "1", A: "1" }, { B: "2" }, undefined, { C: "3" });
  assertEquals(envList(env), ["A=1", "B=2", "C=3"]);
});

Deno.test("a generated script really runs: creates and enters its directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = stepScript("pwd > out.txt", `${dir}/a b/c`);
    const { code } = await new Deno.Command("/bin/sh", { args: ["-c", script] }).output();
    assertEquals(code, 0);
    assertEquals(await Deno.readTextFile(`${dir}/a b/c/out.txt`), `${dir}/a b/c\n`);
    const failing = await new Deno.Command("/bin/sh", {
      args: ["-c", stepScript("false\necho never > never.txt", dir)],
    }).output();
    assertEquals(failing.code, 1, "set -e stops at the first failing line");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
