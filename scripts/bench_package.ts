/**
 * Packaging benchmark (issue 6): a tree of mixed files (text, binary, many
 * small files; 1 GiB by default) packaged by melange2's writer, side by
 * side with `tar -c | gzip -6` of the same tree in one run. Then the same
 * tree as a package plus three subpackages (written in parallel) against
 * the single tar | gzip. Goals: within 1.2x for one package; faster than
 * tar | gzip for the package plus subpackages.
 *
 *   deno run -A scripts/bench_package.ts [--mib 1024] [--rounds 2]
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writePackage, writePackages } from "../lib/apk/package.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { mib: { type: "string", default: "1024" }, rounds: { type: "string", default: "2" } },
});
const total = Number(values.mib) * 1024 * 1024;
const rounds = Number(values.rounds);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Deterministic text: words from a small vocabulary, like source and docs compress. */
function text(size: number, seed: number): Uint8Array {
  const words = [
    "static",
    "int",
    "return",
    "the",
    "package",
    "build",
    "const",
    "value",
    "error",
    "func",
    "{",
    "}",
    "\n",
  ];
  let s = "";
  let x = seed;
  while (s.length < size) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += words[x % words.length] + " ";
  }
  return new TextEncoder().encode(s.slice(0, size));
}

/** Four top-level directories, each a quarter: half compressible text, a third random binary, the rest small files. */
function makeTree(root: string): void {
  const quarter = total / 4;
  for (let d = 0; d < 4; d++) {
    const dir = join(root, `part${d}`);
    let made = 0;
    let i = 0;
    mkdirSync(join(dir, "text"), { recursive: true });
    mkdirSync(join(dir, "bin"), { recursive: true });
    mkdirSync(join(dir, "small"), { recursive: true });
    while (made < quarter * 0.5) {
      const size = 4 * 1024 * 1024;
      writeFileSync(join(dir, "text", `f${i++}.txt`), text(size, d * 1000 + i));
      made += size;
    }
    while (made < quarter * 0.85) {
      const size = 8 * 1024 * 1024;
      writeFileSync(join(dir, "bin", `b${i++}.bin`), randomBytes(size));
      made += size;
    }
    while (made < quarter) {
      const size = 1024 + (i % 16) * 512;
      writeFileSync(join(dir, "small", `s${i++}.c`), text(size, i));
      made += size;
    }
  }
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

const tarGzip = (dir: string) =>
  time(async () => {
    const out = await new Deno.Command("sh", {
      args: ["-c", `tar -c -C '${dir}' . | gzip -6 > /dev/null`],
    }).output();
    if (!out.success) throw new Error("tar | gzip failed");
  });

const root = await Deno.makeTempDir({ prefix: "melange2-bench-pkg-" });
try {
  console.log(`making a ${values.mib} MiB tree...`);
  makeTree(root);
  const spec = (name: string) => ({
    name,
    version: "1.0-r0",
    epoch: 0,
    arch: "x86_64",
    options: { noDepends: true },
  });
  const one: number[] = [];
  const many: number[] = [];
  const ref: number[] = [];
  for (let r = 0; r < rounds; r++) {
    ref.push(await tarGzip(root));
    one.push(await time(() => writePackage(root, spec("whole"), { sourceDateEpoch: 0 })));
    many.push(
      await time(() =>
        writePackages(
          [0, 1, 2, 3].map((d) => ({ dir: join(root, `part${d}`), spec: spec(`part${d}`) })),
          { sourceDateEpoch: 0 },
        )
      ),
    );
  }
  const f = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(" / ");
  console.log(`tar -c | gzip -6:                 median ${median(ref).toFixed(1)} s (${f(ref)})`);
  console.log(
    `melange2, one package:            median ${median(one).toFixed(1)} s (${f(one)}), ratio ${
      (median(one) / median(ref)).toFixed(2)
    }x (goal <= 1.2x)`,
  );
  console.log(
    `melange2, package + 3 subpackages: median ${median(many).toFixed(1)} s (${f(many)}), ratio ${
      (median(many) / median(ref)).toFixed(2)
    }x (goal < 1x)`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
