/**
 * Every graph of ../shared/llb-vectors-v0.32 (made by BuildKit v0.32.2's Go
 * client), rebuilt with our State API: the definition bytes and every op
 * digest must be identical. A mismatch prints both ops decoded field by field.
 */
import { assert, assertEquals } from "./assert.ts";
import { haveShared, sharedPath } from "./shared.ts";
import { dumpDefinition, marshal } from "../lib/llb/mod.ts";
import { VECTOR_GRAPHS, VECTOR_UNIQUE_ID } from "./llb/vector_graphs.ts";
import { explainMismatch } from "./llb/compare.ts";

const VECTORS = "llb-vectors-v0.32";

Deno.test({
  name: "llb vectors: every reference graph is rebuilt here",
  ignore: !haveShared,
  fn: () => {
    const index = JSON.parse(Deno.readTextFileSync(sharedPath(VECTORS, "INDEX.json")));
    assertEquals(Object.keys(VECTOR_GRAPHS).sort(), [...index].sort());
  },
});

for (const [name, graph] of Object.entries(VECTOR_GRAPHS)) {
  Deno.test({
    name: `llb vector ${name}: the same bytes and op digests as BuildKit v0.32.2's Go client`,
    ignore: !haveShared,
    fn: () => {
      const reference = Deno.readFileSync(sharedPath(VECTORS, `${name}.pb`));
      const digests = JSON.parse(Deno.readTextFileSync(sharedPath(VECTORS, `${name}.json`)));
      const ours = marshal(graph.build(), { localUniqueId: VECTOR_UNIQUE_ID, ...graph.options });
      const same = ours.bytes.length === reference.length &&
        ours.bytes.every((b, i) => b === reference[i]);
      assert(same, explainMismatch(ours.bytes, reference));
      assertEquals(dumpDefinition(ours.bytes).map((o) => o.Digest), digests);
    },
  });
}
