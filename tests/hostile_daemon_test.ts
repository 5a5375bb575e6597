/**
 * `build`, `test` and `solve` with a daemon that is not there: a missing
 * socket, a closed port, a server that hangs up; named by --buildkit-addr
 * or BUILDKIT_HOST. Each gives one message naming the address in use, a
 * non-zero exit, and no stack trace.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { repoPath } from "./shared.ts";
import { runCli } from "./cli.ts";

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };

/** A port nothing listens on: bound, then closed. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A TCP server that accepts and closes every connection at once. */
function hangingUp(): { addr: string; close(): Promise<void> } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    try {
      for await (const c of l) c.close();
    } catch {
      // closed
    }
  })();
  return {
    addr: `tcp://127.0.0.1:${(l.addr as Deno.NetAddr).port}`,
    close: async () => {
      l.close();
      await done;
    },
  };
}

function assertOneMessage(res: { code: number; stderr: string }, addr: string, why: string) {
  assertEquals(res.code, 1, res.stderr);
  const errors = res.stderr.split("\n").filter((l) => l.startsWith("error: "));
  assertEquals(errors.length, 1, res.stderr);
  assertStringIncludes(errors[0], `cannot reach BuildKit at ${addr}: `);
  assertStringIncludes(errors[0], why);
  assertStringIncludes(errors[0], `buildkitd --addr ${addr}`);
  for (const bad of ["    at ", "Uncaught", "internal error", "UNAVAILABLE"]) {
    assert(!res.stderr.includes(bad), `${bad} in: ${res.stderr}`);
  }
}

Deno.test({
  name: "daemon: build, test and solve name the unreachable address, without a stack trace",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const file = repoPath("tests", "fixtures", "build", "failing-test.yaml");
      // `test` needs the package built first (on the real daemon).
      const built = await runCli([
        "build",
        file,
        "--buildkit-addr",
        ADDR,
        "--progress",
        "quiet",
        "--out-dir",
        `${dir}/packages`,
      ]);
      assertEquals(built.code, 0, built.stderr);
      const def = `${dir}/def.llb`;
      const dumped = await runCli(["build", file, "--dump-llb", def]);
      assertEquals(dumped.code, 0, dumped.stderr);

      const server = hangingUp();
      try {
        const cases: [string, string][] = [
          [`unix://${dir}/no-such.sock`, "no such socket"],
          [`tcp://127.0.0.1:${closedPort()}`, "nothing listens there"],
          [server.addr, "the server hung up"],
        ];
        for (const [addr, why] of cases) {
          const commands = [
            ["build", file, "--out-dir", `${dir}/out`, "--progress", "plain"],
            ["test", file, "--out-dir", `${dir}/packages`, "--progress", "plain"],
            ["solve", def, "--progress", "plain"],
          ];
          for (const args of commands) {
            // By flag, and by BUILDKIT_HOST.
            assertOneMessage(await runCli([...args, "--buildkit-addr", addr]), addr, why);
            assertOneMessage(await runCli(args, { env: { BUILDKIT_HOST: addr } }), addr, why);
          }
        }
      } finally {
        await server.close();
      }
    }),
});
