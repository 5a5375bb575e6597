/**
 * Differential fuzzing of the LLB marshaller against BuildKit's own Go
 * client: seeded random graph descriptions (tests/llb/random_graph.ts) are
 * built with our State API and replayed by scripts/llbref with Go's
 * client/llb v0.32.2; the definitions must be identical byte for byte, or
 * both sides must refuse the graph. A mismatch is shrunk and printed with
 * its seed. MELANGE2_FUZZ_SEED replays a run, MELANGE2_FUZZ_CASES sizes it.
 */
import { assert } from "./assert.ts";
import { type Description, fromDescription, marshal } from "../lib/llb/mod.ts";
import { randomDescription, rng } from "./llb/random_graph.ts";
import { shrink } from "./llb/shrink.ts";
import { explainMismatch } from "./llb/compare.ts";
import { goMarshal, type GoResult, haveLlbref } from "./support/llbref.ts";

const CASES = Number(Deno.env.get("MELANGE2_FUZZ_CASES") ?? 600);
const SEED = Number(Deno.env.get("MELANGE2_FUZZ_SEED") ?? Date.now() % 2 ** 31);

type Ours = { bytes: Uint8Array } | { error: string };

function ours(d: Description): Ours {
  try {
    const { state, options } = fromDescription(d);
    return { bytes: marshal(state, options).bytes };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Why the two results disagree, or "" when they agree. */
function disagreement(a: Ours, b: GoResult): string {
  if ("error" in a || "error" in b) {
    if ("error" in a && "error" in b) return "";
    return "error" in a
      ? `we refused (${a.error}); Go did not`
      : `Go refused (${(b as { error: string }).error}); we did not`;
  }
  const same = a.bytes.length === b.bytes.length && a.bytes.every((x, i) => x === b.bytes[i]);
  return same ? "" : explainMismatch(a.bytes, b.bytes);
}

Deno.test({
  name: `llb fuzz: ${CASES} random graphs marshal as BuildKit's Go client does (seed ${SEED})`,
  ignore: !haveLlbref,
  fn: async () => {
    console.log(`llb fuzz seed ${SEED} (MELANGE2_FUZZ_SEED=${SEED} replays this run)`);
    const random = rng(SEED);
    const descs = Array.from({ length: CASES }, () => randomDescription(random));
    const theirs = await goMarshal(descs);
    let refused = 0;
    for (const [i, d] of descs.entries()) {
      const why = disagreement(ours(d), theirs[i]);
      if ("error" in theirs[i] && !why) refused++;
      if (!why) continue;
      const fails = async (v: Description) =>
        disagreement(ours(v), (await goMarshal([v]))[0]) !== "";
      const small = await shrink(d, fails);
      const detail = disagreement(ours(small), (await goMarshal([small]))[0]);
      assert(
        false,
        `case ${i} of seed ${SEED} differs; smallest graph:\n` +
          `${JSON.stringify(small)}\n${detail}`,
      );
    }
    console.log(`${CASES} graphs identical (${refused} refused by both)`);
    assert(
      refused < CASES / 4,
      `too many graphs refused by both (${refused}): the generator is off`,
    );
  },
});
