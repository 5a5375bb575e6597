/**
 * Build files made to crash or hang the compiler: `uses:` cycles, deep
 * nesting, huge step and subpackage counts, alias bombs, many or chained
 * vars, and regular expressions that backtrack. Each is refused with a
 * located message or handled in linear time; none overflows the stack.
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { compileSync, loadConfigText } from "../lib/config/mod.ts";
import { MAX_STEPS, MAX_SUBPACKAGES } from "../lib/config/validate.ts";
import { MAX_LINES } from "../lib/config/yaml.ts";
import { buildGraph } from "../lib/build/graph.ts";
import { marshal } from "../lib/llb/mod.ts";
import { UserError } from "../lib/errors.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const HEAD = "package:\n  name: demo\n  version: 1.0.0\n";
const compileText = (yaml: string, pipelineDirs: string[] = []) =>
  compileSync(loadConfigText(yaml, "h.yaml"), { arch: "x86_64", pipelineDirs });
const refused = (yaml: string, pipelineDirs: string[] = []) =>
  assertThrows(() => compileText(yaml, pipelineDirs), UserError).message;

Deno.test("limits: a pipeline that uses itself, or two that use each other, is a named cycle", () => {
  const dir = mkdtempSync(join(tmpdir(), "m2-cycle-"));
  try {
    writeFileSync(join(dir, "self.yaml"), "pipeline:\n  - uses: self\n");
    writeFileSync(join(dir, "ping.yaml"), "pipeline:\n  - runs: echo ping\n  - uses: pong\n");
    writeFileSync(join(dir, "pong.yaml"), "pipeline:\n  - uses: ping\n");
    writeFileSync(join(dir, "leaf.yaml"), "runs: echo leaf\n");
    writeFileSync(join(dir, "twice.yaml"), "pipeline:\n  - uses: leaf\n  - uses: leaf\n");
    assertStringIncludes(
      refused(`${HEAD}pipeline:\n  - uses: self\n`, [dir]),
      "h.yaml:5:5: pipeline[0].pipeline[0].uses: pipeline cycle: self -> self",
    );
    assertStringIncludes(
      refused(`${HEAD}pipeline:\n  - uses: ping\n`, [dir]),
      "pipeline cycle: ping -> pong -> ping",
    );
    // The same pipeline used twice, or in sibling steps, is no cycle.
    const ok = compileText(`${HEAD}pipeline:\n  - uses: twice\n  - uses: twice\n`, [dir]);
    assertEquals(ok.pipeline.map((s) => s.pipeline?.map((t) => t.runs)), [
      ["echo leaf", "echo leaf"],
      ["echo leaf", "echo leaf"],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("limits: 3,000 nested maps or lists are refused at their line, not a stack overflow", () => {
  for (const [open, close] of [["{a: ", "}"], ["[", "]"]]) {
    const msg = assertThrows(
      () => loadConfigText(`${HEAD}vars: ${open.repeat(3000)}x${close.repeat(3000)}\n`, "h.yaml"),
      UserError,
    ).message;
    assert(/^h\.yaml:4:\d+: .*nested more than 200 levels deep$/.test(msg), msg);
  }
  const block = Array.from({ length: 300 }, (_, i) => `${" ".repeat(i)}a:`).join("\n");
  assertStringIncludes(
    assertThrows(() => loadConfigText(`${HEAD}update:\n${block} 1\n`, "h.yaml"), UserError)
      .message,
    "nested more than 200 levels deep",
  );
});

Deno.test("limits: too many steps or subpackages are refused with the limit named", () => {
  const steps = Array.from({ length: MAX_STEPS + 1 }, (_, i) => `  - runs: echo ${i}\n`).join("");
  assertStringIncludes(
    refused(`${HEAD}pipeline:\n${steps}`),
    `h.yaml:5:3: pipeline: ${MAX_STEPS + 1} steps; a build may have at most ${MAX_STEPS}`,
  );
  const subs = Array.from({ length: 10_000 }, (_, i) => `  - name: s${i}\n`).join("");
  assertStringIncludes(
    refused(`${HEAD}subpackages:\n${subs}`),
    `subpackages: 10000 subpackages; at most ${MAX_SUBPACKAGES} are supported`,
  );
  // A range unrolls into subpackages too.
  const items = Array.from({ length: MAX_SUBPACKAGES + 1 }, (_, i) => `      k${i}: v\n`).join("");
  assertStringIncludes(
    refused(
      `${HEAD}data:\n  - name: d\n    items:\n${items}subpackages:\n  - range: d\n    name: p-\${{range.key}}\n`,
    ),
    `at most ${MAX_SUBPACKAGES} are supported`,
  );
});

Deno.test("limits: a graph of 10,000 steps marshals (no recursion over the chain)", () => {
  const steps = Array.from({ length: 10_000 }, (_, i) => ({
    name: `s${i}`,
    runs: `echo ${i}`,
    environment: {},
  }));
  const graph = buildGraph({ steps, packages: ["demo"] });
  const def = marshal(graph.result);
  // Each step's exec, the environment's local and copy, mkdirs, the export copy.
  assert(def.def.length > 10_000, String(def.def.length));
  assertEquals(marshal(graph.result).digest, def.digest);
});

Deno.test("limits: alias bombs are refused; ordinary aliases still expand", () => {
  let bomb = `${HEAD}x0: &a0 [${Array(10).fill("a").join(", ")}]\n`;
  for (let k = 1; k <= 6; k++) {
    bomb += `x${k}: &a${k} [${Array(10).fill(`*a${k - 1}`).join(", ")}]\n`;
  }
  const msg = assertThrows(() => loadConfigText(bomb, "h.yaml"), UserError).message;
  assertStringIncludes(msg, "document too large: aliases expand to more than 100000 values");
  const ok = compileText(
    `${HEAD}pipeline:\n  - &step\n    runs: echo hi\n  - *step\n`,
  );
  assertEquals(ok.pipeline.map((s) => s.runs), ["echo hi", "echo hi"]);
  // An alias names the last anchor of its name before it, as in YAML.
  const again = loadConfigText(
    `${HEAD}vars:\n  a: &x one\n  b: *x\n  c: &x two\n  d: *x\n`,
    "h.yaml",
  ).data.vars;
  assertEquals(again, { a: "one", b: "one", c: "two", d: "two" });
  // Thousands of aliases resolve in one pass (each used to walk the whole document).
  const many = compileText(
    `${HEAD}pipeline:\n  - pipeline: &s [{runs: a}, {runs: b}]\n` +
      "  - pipeline: *s\n".repeat(1500),
  );
  assertEquals(many.pipeline.length, 1501);
  assertEquals(many.pipeline[1500].pipeline?.map((s) => s.runs), ["a", "b"]);
});

Deno.test("limits: files of too many lines or commas are refused before parsing", () => {
  const vars = Array.from({ length: MAX_LINES + 1 }, (_, i) => `  v${i}: x\n`).join("");
  assertStringIncludes(
    assertThrows(() => loadConfigText(`${HEAD}vars:\n${vars}`, "h.yaml"), UserError).message,
    `h.yaml: document too large: ${MAX_LINES + 5} lines (at most ${MAX_LINES} are read)`,
  );
  const flow = Array.from({ length: MAX_LINES + 2 }, (_, i) => `v${i}: x`).join(", ");
  assertStringIncludes(
    assertThrows(() => loadConfigText(`${HEAD}vars: {${flow}}\n`, "h.yaml"), UserError).message,
    `${MAX_LINES + 1} commas`,
  );
  // Duplicate keys are found without comparing every pair.
  assertStringIncludes(
    assertThrows(
      () => loadConfigText(`${HEAD}vars:\n  a: 1\n  b: 2\n  a: 3\n`, "h.yaml"),
      UserError,
    )
      .message,
    'h.yaml:7:3: invalid YAML: duplicate key "a"',
  );
});

Deno.test("limits: a chain of 3,000 vars in either order resolves, in one pass per var", () => {
  const n = 3000;
  const forward = Array.from({ length: n }, (_, i) => `  v${i}: \${{vars.v${i + 1}}}x\n`)
    .join("");
  for (const vars of [forward + `  v${n}: end\n`, `  v${n}: end\n` + forward]) {
    const c = compileText(
      `package:\n  name: demo\n  version: 1.0.0\n  description: \${{vars.v0}}\nvars:\n${vars}`,
    );
    assertEquals(c.package.description, "end" + "x".repeat(n));
  }
  // A cycle is reported at the first var in it, naming what is missing.
  assertStringIncludes(
    refused(`${HEAD}vars:\n  c: ok\n  a: \${{vars.b}}\n  b: \${{vars.a}}\n`),
    "h.yaml:6:6: vars.a: undefined variable ${{vars.b}}",
  );
});

Deno.test("limits: var-transforms use RE2, so (a+)+$ cannot backtrack", () => {
  const c = compileText(
    `package:\n  name: demo\n  version: 1.0.0\n  description: \${{vars.t}}\nvars:\n  s: '${
      "a".repeat(5000)
    }!'\nvar-transforms:\n  - from: \${{vars.s}}\n    match: (a+)+$\n    replace: x\n    to: t\n`,
  );
  assertEquals(c.package.description, "a".repeat(5000) + "!");
});

Deno.test("limits: a var-transform reads at most 64 KiB, refused with its place and the limit", () => {
  const transform = (n: number) =>
    `${HEAD}vars:\n  s: '${"a".repeat(n)}!'\nvar-transforms:\n  - from: \${{vars.s}}\n` +
    `    match: (a+)+$\n    replace: x\n    to: t\n`;
  const why = refused(transform(4 << 20));
  assertStringIncludes(why, "var-transforms[0]");
  assertStringIncludes(why, `from is ${(4 << 20) + 1} characters once substituted`);
  assertStringIncludes(why, "at most 65536");
  compileText(transform(65535)); // at the limit: accepted
});
