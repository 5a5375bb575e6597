import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { buildGraph, LOCAL_NAMES } from "../lib/build/graph.ts";
import { flattenSteps, type StepSpec } from "../lib/build/steps.ts";
import { dumpDefinition, type DumpedOp, marshal } from "../lib/llb/mod.ts";
import { busyboxRootfs } from "../lib/build/busybox.ts";
import { connect } from "../lib/buildkit/mod.ts";

const steps: StepSpec[] = [
  {
    name: "configure",
    runs: "echo configured > state",
    environment: { B: "2", A: "1" },
  },
  {
    name: "install",
    runs:
      'mkdir -p "$DESTDIR/usr/share"\ncat state > "$DESTDIR/usr/share/state"\necho "$A$B$C" >> "$DESTDIR/usr/share/state"',
    environment: { DESTDIR: "/home/build/melange-out/hello", C: "3" },
  },
  {
    name: "split docs",
    runs:
      "mkdir -p /home/build/melange-out/hello-doc/doc && echo doc > /home/build/melange-out/hello-doc/doc/README",
    workingDirectory: "sub/dir",
    environment: {},
  },
];

Deno.test("flattening runs a step before its nested pipeline, which inherits dir and env", () => {
  const flat = flattenSteps(
    [
      { name: "outer", runs: "echo outer", workingDirectory: "w", environment: { X: "1" } },
      {
        uses: "autoconf/make",
        workingDirectory: "src",
        environment: { Y: "2" },
        pipeline: [{ runs: "# comment\nmake -j4\n", environment: { Z: "3" } }, { runs: "   " }],
      },
      { uses: "two/steps", pipeline: [{ runs: "echo one" }, { runs: "echo two" }] },
    ],
    { HOME: "/home/build" },
  );
  assertEquals(flat, [
    {
      name: "outer",
      runs: "echo outer",
      workingDirectory: "w",
      environment: { HOME: "/home/build", X: "1" },
    },
    {
      name: "uses: autoconf/make",
      runs: "# comment\nmake -j4\n",
      workingDirectory: "src",
      environment: { HOME: "/home/build", Y: "2", Z: "3" },
    },
    {
      name: "uses: two/steps: echo one",
      runs: "echo one",
      workingDirectory: undefined,
      environment: { HOME: "/home/build" },
    },
    {
      name: "uses: two/steps: echo two",
      runs: "echo two",
      workingDirectory: undefined,
      environment: { HOME: "/home/build" },
    },
  ]);
});

Deno.test("the graph is deterministic and shaped like the seed's melange build", () => {
  const input = { steps, packages: ["hello", "hello-doc"], withSource: true };
  const a = marshal(buildGraph(input).result);
  const b = marshal(buildGraph(structuredClone(input)).result);
  assertEquals(a.bytes, b.bytes);
  const names = dumpDefinition(a.bytes).map((op) => customName(op))
    .filter(Boolean);
  assertEquals(names, [
    "copy build environment",
    "create workspace",
    "create melange-out/hello",
    "create melange-out/hello-doc",
    "copy source",
    "configure",
    "install",
    "split docs",
    "export melange-out",
  ]);
  const text = JSON.stringify(dumpDefinition(a.bytes));
  assertStringIncludes(text, "melange-go-mod-cache");
  assertStringIncludes(text, `local://${LOCAL_NAMES.environment}`);
  assertStringIncludes(text, "A=1");
});

Deno.test("a namespace changes every step's cache key, and nothing else changes it", () => {
  const plain = marshal(buildGraph({ steps, packages: ["hello"] }).result).digest;
  const ns = marshal(buildGraph({ steps, packages: ["hello"], namespace: "team-a" }).result).digest;
  assert(plain !== ns);
  assertEquals(marshal(buildGraph({ steps, packages: ["hello"] }).result).digest, plain);
});

Deno.test({
  name:
    "the graph runs on BuildKit: steps share the workspace, not their environments; only melange-out comes back",
  ignore: !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      await busyboxRootfs(`${dir}/env`);
      await Deno.mkdir(`${dir}/src`);
      await Deno.writeTextFile(`${dir}/src/input.txt`, "from source\n");
      const withCat: StepSpec[] = [
        ...steps,
        {
          name: "use source",
          runs: "cp input.txt /home/build/melange-out/hello/input.txt",
          environment: {},
        },
      ];
      const graph = buildGraph({
        steps: withCat,
        packages: ["hello", "hello-doc"],
        withSource: true,
      });
      const client = connect({ addr: ADDR });
      try {
        await client.solve({
          definition: marshal(graph.result).bytes,
          locals: { [LOCAL_NAMES.environment]: `${dir}/env`, [LOCAL_NAMES.source]: `${dir}/src` },
          exports: [{ type: "local", dest: `${dir}/out` }],
          entitlements: ["security.insecure"],
        });
      } finally {
        client.close();
      }
      assertEquals(
        await Deno.readTextFile(`${dir}/out/hello/usr/share/state`),
        "configured\n3\n", // configure's A and B are its own
      );
      assertEquals(await Deno.readTextFile(`${dir}/out/hello/input.txt`), "from source\n");
      assertEquals(await Deno.readTextFile(`${dir}/out/hello-doc/doc/README`), "doc\n");
      assertEquals([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name).sort(), [
        "hello",
        "hello-doc",
      ]);
    }),
});

function customName(op: DumpedOp): string | undefined {
  const description = op.OpMetadata.description as Record<string, string> | undefined;
  return description?.["llb.customname"];
}
