/**
 * A seeded, structure-aware fuzzer over the build file: documents are made
 * from the melange schema itself (every field, nested steps, subpackages,
 * ranges, var-transforms, uses: of cycling pipelines), filled with hostile
 * values (paths, line breaks, NULs, bad versions, deep substitutions,
 * backtracking regexps) and shared subtrees (YAML aliases). Each must
 * compile or fail with one located UserError, within a hang bound; what
 * compiles must hold only names, versions and fields that are safe to
 * write. 1,000 cases by default; MELANGE2_FUZZ_CASES=10000 for a nightly run.
 */
import { assert } from "./assert.ts";
import { stringify } from "yaml";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileSync, loadConfigText } from "../lib/config/mod.ts";
import { configSpec } from "../lib/config/melange_schema.ts";
import type { Spec } from "../lib/config/schema.ts";
import {
  dependencyProblem,
  MAX_STEPS,
  MAX_SUBPACKAGES,
  packageNameProblem,
  textProblem,
} from "../lib/config/validate.ts";
import { isValidVersion } from "../lib/apk/version.ts";
import { UserError } from "../lib/errors.ts";
import type { CompiledStep } from "../lib/config/types.ts";

const CASES = Number(Deno.env.get("MELANGE2_FUZZ_CASES") ?? 1000);
const SEED = Number(Deno.env.get("MELANGE2_FUZZ_SEED") ?? 20);

/** mulberry32: the same seed makes the same documents. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE = [
  "../../x",
  "..",
  "a/b",
  "/etc/passwd",
  "x\ndepend = evil",
  "x\r\ny",
  "x\u0000y",
  "\u001b[2J",
  "\ud800",
  "1.0 beta",
  "1.0-r1",
  "${{",
  "${{vars.nope}}",
  "${{vars.a}}${{vars.b}}",
  "${{package.name}}",
  "${{range.key}}",
  "${{inputs.x}}",
  "${{targets.destdir}}/../..",
  "(a+)+$",
  "(?P<n>x)|[[:alpha:]]",
  "'unbalanced",
  "a b",
  "*",
  "",
  "caf\u00e9 \u{1f600}",
  "x".repeat(300),
  "=1.0",
  "so:libc.so.6",
  "foo>=1.2",
  "true",
  "-1",
  "0x10",
];
const NAMES = ["demo", "demo-doc", "lib+x", "py3.12-x", "a", "0ad", "x_y", "demo"];
const VERSIONS = ["1.0.0", "2.41a", "1.2_rc3", "0_git20240101", "1.0_p1~abc12"];
const USES = ["self", "ping", "leaf", "fetch", "autoconf/configure", "strip", "split/dev", "nope"];

function generate(r: () => number): unknown {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const shared: unknown[] = [];
  const text = (): string => {
    const x = r();
    if (x < 0.12) return pick(HOSTILE);
    if (x < 0.16) return `${pick(HOSTILE)}${pick(HOSTILE)}`;
    if (x < 0.22) return `\${{vars.v${Math.floor(r() * 4)}}}`;
    return pick(["hello", "x", "1.2.3", "MIT", "https://example.com", "echo ok"]);
  };
  const value = (spec: Spec, depth: number, field = ""): unknown => {
    // Now and then a subtree seen before: stringify writes it as an alias.
    if (shared.length && r() < 0.03) return pick(shared);
    // Now and then the wrong type.
    if (r() < 0.01) return pick([[], {}, "x", null, 7]);
    let v: unknown;
    switch (spec.t) {
      case "string":
        v = field === "uses" ? pick(USES) : text();
        break;
      case "int":
      case "uint":
        v = pick([0, 1, 7, -1, 2 ** 40, "0x1f", "x"]);
        break;
      case "bool":
        v = pick([true, false, "yes", "maybe"]);
        break;
      case "any":
        v = r() < 0.5 ? text() : { k: text() };
        break;
      case "list": {
        const n = depth > 6 ? 0 : Math.floor(r() * (field === "pipeline" ? 5 : 3));
        v = Array.from({ length: n }, () => value(spec.of, depth + 1));
        break;
      }
      case "map": {
        const o: Record<string, unknown> = {};
        for (let k = Math.floor(r() * 3); k > 0; k--) {
          o[pick(["a", "b", "x", "v0", "../k", "k k"])] = value(spec.of, depth + 1);
        }
        v = o;
        break;
      }
      case "object": {
        const o: Record<string, unknown> = {};
        const fields = Object.entries(spec.fields);
        const want = depth > 6 ? 1 : 1 + Math.floor(r() * 4);
        for (let k = 0; k < want; k++) {
          const [name, s] = pick(fields);
          o[name] = value(s, depth + 1, name);
        }
        for (const req of spec.required ?? []) {
          if (!(req in o) && r() < 0.9) o[req] = value(spec.fields[req], depth + 1, req);
        }
        if (r() < 0.03) o[`unknown-${Math.floor(r() * 9)}`] = "x";
        v = o;
        break;
      }
    }
    if (v && typeof v === "object" && r() < 0.2) shared.push(v);
    return v;
  };
  const doc = value(configSpec, 0) as Record<string, any>;
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return doc;
  // Mostly a valid package head, so that most documents compile far.
  if (r() < 0.8) {
    doc.package = {
      ...(typeof doc.package === "object" && doc.package ? doc.package : {}),
      name: pick(NAMES),
      version: pick(VERSIONS),
    };
  }
  if (r() < 0.5) doc.vars = { v0: text(), v1: "${{vars.v0}}x", v2: "${{vars.v3}}", v3: text() };
  if (r() < 0.3) {
    doc.data = [{ name: "d", items: { a: text(), [pick(["b", "../c", "d e"])]: "2" } }];
    doc.subpackages = [
      { range: "d", name: `${pick(NAMES)}-\${{range.key}}` },
      ...(Array.isArray(doc.subpackages) ? doc.subpackages : []),
    ];
  }
  if (r() < 0.3) {
    doc["var-transforms"] = [{
      from: text(),
      match: pick(["(a+)+$", "(", "^(\\d+)", "[[:digit:]]", "(?P<x>.)", "\\Q.\\E"]),
      replace: pick(["$1", "${x}", "$$"]),
      to: "t",
    }];
  }
  return doc;
}

/** Steps in the lists, nested ones included. */
function allSteps(lists: CompiledStep[][]): CompiledStep[] {
  const out: CompiledStep[] = [];
  const todo = [...lists];
  for (let l = todo.pop(); l; l = todo.pop()) {
    for (const s of l) {
      out.push(s);
      if (s.pipeline) todo.push(s.pipeline);
    }
  }
  return out;
}

Deno.test(`fuzz: ${CASES} schema-made hostile build files compile safely or fail with one located error`, () => {
  const dir = mkdtempSync(join(tmpdir(), "m2-fuzz-"));
  try {
    writeFileSync(join(dir, "self.yaml"), "pipeline:\n  - uses: self\n");
    writeFileSync(join(dir, "ping.yaml"), "pipeline:\n  - uses: pong\n");
    writeFileSync(join(dir, "pong.yaml"), "pipeline:\n  - uses: ping\n");
    writeFileSync(
      join(dir, "leaf.yaml"),
      "inputs:\n  x:\n    default: y\nruns: echo ${{inputs.x}}\n",
    );
    const r = prng(SEED);
    let compiled = 0;
    for (let i = 0; i < CASES; i++) {
      const doc = generate(r);
      let text: string;
      try {
        text = stringify(doc, { aliasDuplicateObjects: true, lineWidth: 0 });
      } catch {
        continue; // not representable (a lone surrogate): the generator's own limit
      }
      const what = `case ${i} (seed ${SEED}):\n${text.slice(0, 3000)}`;
      const start = performance.now();
      try {
        const c = compileSync(loadConfigText(text, "fuzz.yaml"), {
          arch: "x86_64",
          pipelineDirs: [dir],
        });
        compiled++;
        // What compiled is safe to write.
        for (const n of [c.package.name, ...c.subpackages.map((s) => s.name)]) {
          assert(packageNameProblem(n) === undefined, `${what}\nname ${JSON.stringify(n)}`);
        }
        assert(isValidVersion(`${c.package.version}-r${c.package.epoch}`), what);
        assert(c.subpackages.length <= MAX_SUBPACKAGES, what);
        for (const p of [c.package, ...c.subpackages]) {
          for (const f of [p.description, p.url, p.commit]) {
            assert(typeof f !== "string" || textProblem(f) === undefined, `${what}\n${f}`);
          }
          for (const d of [...p.dependencies?.runtime ?? [], ...p.dependencies?.provides ?? []]) {
            assert(dependencyProblem(d) === undefined, `${what}\n${d}`);
          }
        }
        assert(allSteps([c.pipeline, ...c.subpackages.map((s) => s.pipeline)]).length <= MAX_STEPS);
      } catch (err) {
        if (!(err instanceof UserError)) {
          throw new Error(`${what}\nnot a UserError: ${(err as Error)?.stack ?? err}`);
        }
        // One message, located: `fuzz.yaml:line:col: ...` or `fuzz.yaml: ...`.
        assert(/^fuzz\.yaml(:\d+:\d+)?: /.test(err.message), `${what}\n${err.message}`);
        assert(!err.message.includes("    at "), what);
      }
      // A hang bound, not a benchmark: the slowest case takes well under a second.
      assert(performance.now() - start < 10_000, `${what}\ntook ${performance.now() - start} ms`);
    }
    // The generator must reach the compiler's far end, not only the first check.
    assert(compiled > CASES / 20, `only ${compiled} of ${CASES} compiled`);
    console.log(`${compiled} of ${CASES} compiled; the rest were refused with a located error`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
