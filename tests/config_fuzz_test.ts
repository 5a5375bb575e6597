/**
 * Thousands of mutated build files (deleted lines, changed types, broken
 * indentation, unknown keys, bad expressions): each either compiles or fails
 * with one UserError that has a file:line:column location. Never a crash.
 */
import { assert } from "./assert.ts";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileSync, loadConfigText } from "../lib/config/mod.ts";
import { UserError } from "../lib/errors.ts";
import { haveShared, repoPath, sharedPath } from "./shared.ts";

/** A small seeded PRNG (mulberry32), so every run tries the same mutations. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MUTATIONS: ((lines: string[], r: () => number) => void)[] = [
  (l, r) => void l.splice(Math.floor(r() * l.length), 1), // delete a line
  (l, r) => {
    const i = Math.floor(r() * l.length);
    l[i] = l[i].replace(/:\s+\S.*$/, r() < 0.5 ? ": [1, 2]" : ": {a: b}"); // change a type
  },
  (l, r) => {
    const i = Math.floor(r() * l.length);
    l[i] = r() < 0.5 ? " " + l[i] : l[i].replace(/^ {1,3}/, ""); // bad indentation
  },
  (l, r) => {
    const i = Math.floor(r() * l.length);
    const indent = l[i].match(/^\s*(- )?/)?.[0].replace("-", " ") ?? "";
    l.splice(i + 1, 0, `${indent}unknown-key-${Math.floor(r() * 100)}: x`); // unknown key
  },
  (l, r) => {
    const i = Math.floor(r() * l.length);
    const bad = ["${{", "${{nope.nothing}}", "${{ }}", "${{vars.}}"][Math.floor(r() * 4)];
    l[i] = l[i] + " " + bad; // bad substitution
  },
  (l, r) => {
    const i = Math.floor(r() * l.length);
    const indent = l[i].match(/^\s*/)?.[0] ?? "";
    const bad =
      ["if: ==", "if: 'a' = 'b'", "if: ('a' == 'a'", "if: ${{x}} == 1"][Math.floor(r() * 4)];
    l.splice(i + 1, 0, indent + bad); // bad expression
  },
  (l, r) => {
    const i = Math.floor(r() * l.length);
    const j = Math.floor(r() * Math.max(1, l[i].length));
    l[i] = l[i].slice(0, j) + l[i].slice(j + 1); // delete a character
  },
  (l, r) => {
    const i = Math.floor(r() * l.length);
    l[i] = l[i].replace(
      /\S+$/,
      ["*alias", "&anchor", "'unterminated", "- x", "{"][Math.floor(r() * 5)],
    );
  },
  (l, r) => {
    // A random Go regexp and template in a var-transform.
    const alphabet = "()[]{}*+?|\\^$.:-_azAZ09PQEpLx<>,!=";
    let re = "";
    for (let k = 1 + Math.floor(r() * 10); k > 0; k--) {
      re += alphabet[Math.floor(r() * alphabet.length)];
    }
    const tmpl = ["$1x", "${1}", "$$", "${name", "$"][Math.floor(r() * 5)];
    l.push(
      "var-transforms:",
      "  - from: abc-1.2_3",
      `    match: '${re.replaceAll("'", "''")}'`,
      `    replace: '${tmpl}'`,
      "    to: fuzzed",
    );
  },
];

function seeds(): { name: string; text: string; dirs: string[] }[] {
  const out = readdirSync(repoPath("examples")).filter((f) => f.endsWith(".yaml")).map((f) => ({
    name: f,
    text: readFileSync(repoPath("examples", f), "utf8"),
    dirs: [] as string[],
  }));
  if (haveShared) {
    const corpus = sharedPath("corpus", "wolfi-os");
    for (const f of readdirSync(corpus).filter((f) => f.endsWith(".yaml")).sort().slice(0, 20)) {
      out.push({
        name: f,
        text: readFileSync(join(corpus, f), "utf8"),
        dirs: [join(corpus, "pipelines")],
      });
    }
  } else {
    console.log("note: ../shared is absent; fuzzing the examples only");
  }
  return out;
}

Deno.test("fuzz: mutated build files give located errors, never crashes", () => {
  const r = prng(20261125);
  const files = seeds();
  let failures = 0;
  const total = 4000;
  for (let n = 0; n < total; n++) {
    const seed = files[n % files.length];
    const lines = seed.text.split("\n");
    const count = 1 + Math.floor(r() * 3);
    for (let k = 0; k < count; k++) MUTATIONS[Math.floor(r() * MUTATIONS.length)](lines, r);
    const text = lines.join("\n");
    try {
      compileSync(loadConfigText(text, seed.name), {
        arch: r() < 0.5 ? "x86_64" : "aarch64",
        pipelineDirs: seed.dirs,
      });
    } catch (err) {
      failures++;
      const where = `mutation ${n} of ${seed.name}:\n${text}\n--- gave: ${(err as Error).stack}`;
      assert(err instanceof UserError, `not a UserError: ${where}`);
      assert(
        new RegExp(`^${seed.name.replace(".", "\\.")}:\\d+:\\d+: `).test(err.message),
        `no location: ${where}`,
      );
    }
  }
  console.log(`${failures} of ${total} mutated files were refused`);
  assert(
    failures > total / 4,
    `only ${failures} of ${total} mutations failed: the mutations are too gentle`,
  );
});
