/**
 * Config benchmark (issue 4): load and compile every corpus file for
 * x86_64 and aarch64 in one process, as `melange2 compile` would, 5 rounds,
 * median. Goal: under 1 s for the whole corpus. (melange itself is not on
 * this machine to compare with.)
 *
 *   deno run -A scripts/bench_config.ts [CORPUS_DIR]
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { compileSync, loadConfigSync } from "../lib/config/mod.ts";

const corpus = Deno.args[0] ?? new URL("../../shared/corpus/wolfi-os", import.meta.url).pathname;
const files = readdirSync(corpus).filter((f) => f.endsWith(".yaml")).sort();
const pipelineDirs = [join(corpus, "pipelines")];
const rounds: number[] = [];
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  for (const f of files) {
    const config = loadConfigSync(join(corpus, f));
    for (const arch of ["x86_64", "aarch64"]) compileSync(config, { arch, pipelineDirs });
  }
  rounds.push(performance.now() - t0);
}
const sorted = [...rounds].sort((a, b) => a - b);
console.log(`${files.length} files x 2 architectures, 5 rounds (first includes JIT warm-up)`);
console.log(`rounds: ${rounds.map((t) => t.toFixed(0) + " ms").join(" / ")}`);
console.log(
  `median: ${sorted[2].toFixed(0)} ms (goal < 1000 ms); first: ${rounds[0].toFixed(0)} ms`,
);
