import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { haveShared, sharedPath } from "./shared.ts";
import { runCli } from "./cli.ts";

const VECTORS = "llb-vectors-v0.32";
const buildctl = `${Deno.env.get("MELANGE2_BUILDKIT_BIN") ?? ""}/buildctl`;
let haveBuildctl = false;
try {
  haveBuildctl = Deno.statSync(buildctl).isFile;
} catch {
  console.log(`note: ${buildctl} is absent; dump-llb is not compared with buildctl`);
}

Deno.test({
  name: "debug dump-llb prints what buildctl v0.32 debug dump-llb prints for every vector",
  ignore: !haveShared || !haveBuildctl,
  fn: async () => {
    const names: string[] = JSON.parse(Deno.readTextFileSync(sharedPath(VECTORS, "INDEX.json")));
    for (const name of names) {
      const file = sharedPath(VECTORS, `${name}.pb`);
      const res = await runCli(["debug", "dump-llb", file]);
      assertEquals(res.code, 0, res.stderr);
      const theirs = await new Deno.Command(buildctl, {
        args: ["debug", "dump-llb"],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      const writer = theirs.stdin.getWriter();
      await writer.write(Deno.readFileSync(file));
      await writer.close();
      const out = await theirs.output();
      const parse = (text: string) =>
        text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
      assertEquals(parse(res.stdout), parse(new TextDecoder().decode(out.stdout)), name);
    }
  },
});

Deno.test({
  name: "debug dump-llb reads standard input",
  ignore: !haveShared,
  fn: async () => {
    const res = await runCli(["debug", "dump-llb", "-"], {
      stdin: Deno.readFileSync(sharedPath(VECTORS, "exec-basic.pb")),
    });
    assertEquals(res.code, 0);
    const digests = JSON.parse(Deno.readTextFileSync(sharedPath(VECTORS, "exec-basic.json")));
    for (const d of digests) assertStringIncludes(res.stdout, d);
  },
});

Deno.test("debug dump-llb: bad input is one clear error and a non-zero exit", async () => {
  const garbage = await runCli(["debug", "dump-llb"], { stdin: "not a definition" });
  assertEquals(garbage.code, 1);
  assertStringIncludes(garbage.stderr, "error: not a serialized LLB definition");
  assert(!garbage.stderr.includes("    at "), "no stack trace");
  const missing = await runCli(["debug", "dump-llb", "/nonexistent/def.pb"]);
  assertEquals(missing.code, 1);
  assertStringIncludes(missing.stderr, "error: reading /nonexistent/def.pb");
});
