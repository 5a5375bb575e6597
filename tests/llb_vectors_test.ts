import { assertEquals } from "./assert.ts";
import { haveShared, sharedPath } from "./shared.ts";
import { dumpDefinition, marshal } from "../lib/llb/mod.ts";
import { VECTOR_GRAPHS, VECTOR_UNIQUE_ID } from "./llb/vector_graphs.ts";

for (const [name, graph] of Object.entries(VECTOR_GRAPHS)) {
  Deno.test({
    name: `llb vector ${name}: same ops, digests and metadata as BuildKit's Go client`,
    ignore: !haveShared,
    fn: () => {
      const reference = dumpDefinition(Deno.readFileSync(sharedPath("llb-vectors", `${name}.pb`)));
      const ours = dumpDefinition(marshal(graph(), { localUniqueId: VECTOR_UNIQUE_ID }).bytes);
      const byDigest = (ops: typeof ours) =>
        Object.fromEntries(ops.map((o) => [o.Digest, { op: o.Op, metadata: o.OpMetadata }]));
      assertEquals(byDigest(ours), byDigest(reference));
      // The final op (the graph's output) is last in both.
      assertEquals(ours.at(-1)!.Digest, reference.at(-1)!.Digest);
    },
  });
}

Deno.test({
  name: "llb vectors: re-encoding every reference op gives the same bytes",
  ignore: !haveShared,
  fn: async () => {
    const { decodeDefinition } = await import("../lib/llb/mod.ts");
    const { OpType } = await import("../lib/llb/proto.ts");
    const { encodeOp } = await import("../lib/llb/encode.ts");
    for (const name of Object.keys(VECTOR_GRAPHS)) {
      const { def } = decodeDefinition(Deno.readFileSync(sharedPath("llb-vectors", `${name}.pb`)));
      for (const bytes of def) {
        const obj = OpType.toObject(OpType.decode(bytes), { longs: Number, bytes: Uint8Array });
        assertEquals(encodeOp(obj), bytes, `${name}: an op re-encodes differently`);
      }
    }
  },
});
