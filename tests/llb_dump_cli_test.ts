import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { haveShared, sharedPath } from "./shared.ts";
import { runCli } from "./cli.ts";

const VECTORS = [
  "01-local-copy",
  "02-mkdir",
  "03-melange-build",
  "04-sources-merge",
  "05-exec-extras",
  "06-diff",
];

Deno.test({
  name: "debug dump-llb prints what buildctl debug dump-llb prints for every vector",
  ignore: !haveShared,
  fn: async () => {
    for (const name of VECTORS) {
      const res = await runCli(["debug", "dump-llb", sharedPath("llb-vectors", `${name}.pb`)]);
      assertEquals(res.code, 0, res.stderr);
      const ours = res.stdout.trim().split("\n").map((l) => JSON.parse(l));
      const reference = Deno.readTextFileSync(sharedPath("llb-vectors", `${name}.json`))
        .trim().split("\n").map((l) => JSON.parse(l));
      assertEquals(ours, reference, name);
    }
  },
});

Deno.test({
  name: "debug dump-llb reads standard input",
  ignore: !haveShared,
  fn: async () => {
    const res = await runCli(["debug", "dump-llb", "-"], {
      stdin: Deno.readFileSync(sharedPath("llb-vectors", "02-mkdir.pb")),
    });
    assertEquals(res.code, 0);
    assertStringIncludes(
      res.stdout,
      "sha256:4b0c853f6ec7e362ea9d71bfca34f1be35dcb4b69a236f40b2bc2ca6d4e5d926",
    );
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
