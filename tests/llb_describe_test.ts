/**
 * Graph recipes: `describe` writes what `fromDescription` replays, and
 * BuildKit's own Go client (scripts/llbref) replays the same recipe to the
 * same bytes: for the reference vectors and for the graphs `melange2 build`
 * makes of every example (`--dump-llb-recipe`).
 */
import { assert, assertEquals } from "./assert.ts";
import { describe, fromDescription, marshal } from "../lib/llb/mod.ts";
import { VECTOR_GRAPHS, VECTOR_UNIQUE_ID } from "./llb/vector_graphs.ts";
import { explainMismatch } from "./llb/compare.ts";
import { goMarshal, haveLlbref } from "./support/llbref.ts";
import { haveDaemon, withTempDir } from "./support/buildkit.ts";
import { repoPath } from "./shared.ts";
import { runCli } from "./cli.ts";

const graphs = Object.entries(VECTOR_GRAPHS).map(([name, g]) => ({
  name,
  state: g.build(),
  options: { localUniqueId: VECTOR_UNIQUE_ID, ...g.options },
}));

Deno.test("llb describe: replaying a recipe gives the same graph and the same recipe", () => {
  for (const { name, state, options } of graphs) {
    const recipe = describe(state, options);
    const replayed = fromDescription(JSON.parse(JSON.stringify(recipe)));
    assertEquals(
      marshal(replayed.state, replayed.options).bytes,
      marshal(state, options).bytes,
      name,
    );
    assertEquals(describe(replayed.state, replayed.options), recipe, name);
  }
});

Deno.test("llb describe: a deep chain is described and replayed without recursion", () => {
  let st = VECTOR_GRAPHS["exec-basic"].build();
  for (let i = 0; i < 20_000; i++) st = st.addEnv("I", String(i));
  const recipe = describe(st);
  assertEquals(recipe.nodes.length, 20_003);
  assertEquals(fromDescription(recipe).state.getEnv("I"), "19999");
});

Deno.test({
  name: "llb describe: Go's client/llb replays every vector's recipe to our bytes",
  ignore: !haveLlbref,
  fn: async () => {
    const theirs = await goMarshal(graphs.map((g) => describe(g.state, g.options)));
    graphs.forEach(({ name, state, options }, i) => {
      const go = theirs[i];
      assert("bytes" in go, `${name}: Go refused the recipe: ${"error" in go ? go.error : ""}`);
      const ours = marshal(state, options).bytes;
      assert(explainMismatch(ours, go.bytes) === "", `${name}: ${explainMismatch(ours, go.bytes)}`);
    });
  },
});

Deno.test({
  name:
    "build --dump-llb-recipe: Go's client/llb makes the build's exact definition of every example",
  ignore: !haveLlbref || !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      for (const example of ["hello", "hello-c", "go-hello", "greeting"]) {
        const res = await runCli([
          "build",
          repoPath("examples", `${example}.yaml`),
          "--dump-llb",
          `${dir}/${example}.pb`,
          "--dump-llb-recipe",
          `${dir}/${example}.json`,
          "--out-dir",
          `${dir}/packages`,
        ]);
        assertEquals(res.code, 0, res.stderr);
        const recipe = JSON.parse(await Deno.readTextFile(`${dir}/${example}.json`));
        const [go] = await goMarshal([recipe]);
        assert(
          "bytes" in go,
          `${example}: Go refused the recipe: ${"error" in go ? go.error : ""}`,
        );
        const ours = await Deno.readFile(`${dir}/${example}.pb`);
        assert(ours.length > 100);
        assert(
          explainMismatch(ours, go.bytes) === "",
          `${example}: ${explainMismatch(ours, go.bytes)}`,
        );
      }
    }),
});
