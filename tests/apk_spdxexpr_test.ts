/**
 * Our SPDX expression check against spdx-expression-parse (the reference,
 * which the release bundle cannot carry): the same verdict on every one of
 * a few thousand seeded random expressions, and on hand-picked ones.
 */
import { assertEquals } from "./assert.ts";
import parse from "spdx-expression-parse";
import { isSpdxExpression } from "../lib/apk/spdxexpr.ts";

function reference(text: string): boolean {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  "MIT",
  "Apache-2.0",
  "GPL-2.0-only",
  "GPL-2.0",
  "GPL-2.0+",
  "LGPL-2.1-or-later",
  "BSD-3-Clause",
  "Classpath-exception-2.0",
  "LLVM-exception",
  "LicenseRef-foo",
  "LicenseRef-a.b-c",
  "DocumentRef-x:LicenseRef-y",
  "mit",
  "and",
  "Not-A-License",
  "AND",
  "OR",
  "WITH",
  "(",
  ")",
  "+",
  "GPL",
  "NOASSERTION",
  "NONE",
  "0BSD",
  "Zlib",
  "CC-BY-4.0",
];

Deno.test("spdx expressions: the same verdicts as spdx-expression-parse", () => {
  const picked = [
    "MIT",
    "MIT AND Apache-2.0",
    "GPL-2.0-only WITH Classpath-exception-2.0",
    "(MIT OR Apache-2.0) AND BSD-3-Clause",
    "GPL-2.0+",
    "GPL-2.0 +",
    "MIT WITH MIT",
    "LicenseRef-x",
    "DocumentRef-a:LicenseRef-b",
    "MIT AND",
    "(MIT",
    "MIT)",
    "",
    " ",
    "mit",
    "MIT and Apache-2.0",
    "Apache-2.0 WITH LLVM-exception OR MIT",
    "((MIT))",
    "Classpath-exception-2.0",
    "MIT  AND\tApache-2.0",
    "NOASSERTION",
    "LicenseRef-",
  ];
  for (const text of picked) {
    assertEquals(isSpdxExpression(text), reference(text), JSON.stringify(text));
  }
  const seed = Number(Deno.env.get("MELANGE2_FUZZ_SEED") ?? 1);
  const next = random(seed);
  let valid = 0;
  for (let n = 0; n < 3000; n++) {
    const parts: string[] = [];
    const len = 1 + Math.floor(next() * 7);
    for (let k = 0; k < len; k++) parts.push(WORDS[Math.floor(next() * WORDS.length)]);
    const sep = () => (next() < 0.15 ? "" : next() < 0.9 ? " " : "  ");
    const text = parts.reduce((acc, w) => (acc ? acc + sep() + w : w), "");
    const ours = isSpdxExpression(text);
    assertEquals(ours, reference(text), `seed ${seed}, case ${n}: ${JSON.stringify(text)}`);
    if (ours) valid++;
  }
  // The generator reaches both verdicts often enough to mean something.
  assertEquals(valid > 150, true, `${valid} valid of 3000`);
});
