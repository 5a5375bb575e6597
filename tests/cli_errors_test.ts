/** The CLI's own errors: usage mistakes, help without permissions, bad files named by what the user did. */
import { runCli } from "./cli.ts";
import { repoPath } from "./shared.ts";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";

/** Runs main.ts with no permissions at all (`deno run main.ts`), as a user trying it would. */
async function runBare(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", repoPath("main.ts"), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("--help works without any permission, for the program and every command", async () => {
  const root = await runBare(["--help"]);
  assertEquals(root.code, 0, root.stderr);
  assertStringIncludes(root.stdout, "Usage: melange2");
  assertEquals(root.stderr, "");
  for (const cmd of ["build", "test", "solve", "buildkit", "env", "keygen", "demo", "compile"]) {
    const r = await runBare([cmd, "--help"]);
    assertEquals(r.code, 0, `${cmd}: ${r.stderr}`);
    assertStringIncludes(r.stdout, `Usage: melange2 ${cmd}`);
  }
});

Deno.test("a mistyped flag prints the error and a one-line hint, not the help", async () => {
  const r = await runCli(["build", "--out-dri", "x"]);
  assertEquals(r.code, 1);
  assertEquals(r.stdout, "");
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines[0], "error: unknown option '--out-dri'");
  assertEquals(lines.at(-1), "Run 'melange2 build --help' for usage.");
  assert(lines.length <= 3, `short: ${r.stderr}`);
  assert(!r.stderr.includes("Options:"), "no help text");

  const cmd = await runCli(["biuld"]);
  assertEquals(cmd.code, 1);
  assertStringIncludes(cmd.stderr, "error: unknown command 'biuld'");
  assertStringIncludes(cmd.stderr, "(Did you mean build?)");
  assertStringIncludes(cmd.stderr, "Run 'melange2 --help' for usage.");

  const nested = await runCli(["env", "resolve", "--bogus"]);
  assertStringIncludes(nested.stderr, "Run 'melange2 env resolve --help' for usage.");
});
