/**
 * `melange2 compile` against Go melange v0.59.1's `compile` on a whole
 * wolfi-os checkout (issue 18's measure; the tests do the same on the 48
 * visible files): every file compiled by both, for x86_64, then compared as
 * tests/config_corpus_test.ts compares them:
 *
 * - refused: files melange compiles and we refuse (and the reverse);
 * - compiler: with melange's own pipeline files, every compared part equal
 *   (environment packages, steps with scripts normalized, subpackages, tests);
 * - pipelines: with our built-in pipelines, the same but for the scripts
 *   inside built-in pipelines.
 *
 *   deno run -A scripts/corpus_compare.ts WOLFI_OS_DIR [MELANGE_PIPELINES_DIR] [--show N]
 *
 * melange is built by scripts/bench_compile.ts's recipe; its outputs are kept
 * in $TMPDIR/melange2-corpus-<commit or dir name>/ so a rerun compares at once.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { compileSync, loadConfigSync } from "../lib/config/mod.ts";
import { pipelineLoader } from "../lib/config/pipelines.ts";
import {
  fromMelange,
  fromOurs,
  viewDifferences,
  withoutScriptsOf,
} from "../tests/support/melange_view.ts";
import { melangeBinary } from "./bench_compile.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { show: { type: "string", default: "10" }, jobs: { type: "string", default: "2" } },
  allowPositionals: true,
});
const repo = resolve(positionals[0] ?? "");
const melangePipelines = resolve(
  positionals[1] ?? new URL("../../shared/melange-pipelines-v0.59.1", import.meta.url).pathname,
);
const show = Number(values.show);

/** Where melange's output for a file goes; its error beside it. */
function melangeOut(cache: string, file: string): { json: string; err: string } {
  const name = file.replace(/\.yaml$/, "");
  return { json: join(cache, `${name}.json`), err: join(cache, `${name}.err`) };
}

/** Runs melange compile on every file not yet in the cache, `jobs` at a time. */
async function runMelange(bin: string, files: string[], cache: string, jobs: number) {
  const todo = files.filter((f) => {
    const o = melangeOut(cache, f);
    return !existsSync(o.json) && !existsSync(o.err);
  });
  console.error(`melange: ${todo.length} of ${files.length} files to compile`);
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const f = todo[next++];
      const out = await new Deno.Command(bin, {
        args: ["compile", "--arch", "x86_64", "--pipeline-dir", "pipelines", f],
        cwd: repo,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const o = melangeOut(cache, f);
      if (out.success) writeFileSync(o.json, out.stdout);
      else writeFileSync(o.err, out.stderr);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}

if (import.meta.main) {
  const files = readdirSync(repo).filter((f) => f.endsWith(".yaml")).sort();
  const id = existsSync(join(repo, ".git"))
    ? new TextDecoder().decode(
      (await new Deno.Command("git", { args: ["-C", repo, "rev-parse", "HEAD"] }).output()).stdout,
    ).trim()
    : basename(repo);
  const cache = join(Deno.env.get("TMPDIR") ?? "/tmp", `melange2-corpus-${id}`);
  mkdirSync(cache, { recursive: true });
  await runMelange(await melangeBinary(), files, cache, Number(values.jobs));

  const withMelange = pipelineLoader([join(repo, "pipelines"), melangePipelines]);
  const withOurs = pipelineLoader([join(repo, "pipelines")]);
  const builtin = (uses: string) => !existsSync(join(repo, "pipelines", `${uses}.yaml`));
  const report = {
    refusedByUs: [] as string[],
    refusedByMelange: [] as string[],
    compiler: [] as string[],
    pipelines: [] as string[],
  };
  let both = 0;
  for (const f of files) {
    const o = melangeOut(cache, f);
    const theirs = existsSync(o.json) ? JSON.parse(readFileSync(o.json, "utf8")) : undefined;
    let config;
    try {
      config = loadConfigSync(join(repo, f));
      compileSync(config, { arch: "x86_64", loader: withOurs });
    } catch (err) {
      if (theirs) report.refusedByUs.push(`${f}: ${(err as Error).message.split("\n")[0]}`);
      continue;
    }
    if (!theirs) {
      const why = readFileSync(o.err, "utf8").trim().split("\n").at(-1);
      report.refusedByMelange.push(`${f}: ${why}`);
      continue;
    }
    both++;
    const want = fromMelange(theirs);
    try {
      const a = viewDifferences(
        want,
        fromOurs(compileSync(config, { arch: "x86_64", loader: withMelange })),
      );
      if (a.length) report.compiler.push(`${f}:\n    ${a.join("\n    ")}`);
    } catch (err) {
      report.compiler.push(`${f}: ${(err as Error).message.split("\n")[0]}`);
    }
    const ours = fromOurs(compileSync(config, { arch: "x86_64", loader: withOurs }));
    const b = viewDifferences(withoutScriptsOf(want, builtin), withoutScriptsOf(ours, builtin));
    if (b.length) report.pipelines.push(`${f}:\n    ${b.join("\n    ")}`);
  }
  const list = (title: string, xs: string[]) => {
    console.log(`${title}: ${xs.length}`);
    for (const x of xs.slice(0, show)) console.log(`  ${x}`);
  };
  console.log(`${files.length} files; ${both} compiled by both`);
  list("compiled by melange, refused by melange2", report.refusedByUs);
  list("refused by melange, compiled by melange2", report.refusedByMelange);
  list("different with melange's pipeline files (compiler)", report.compiler);
  list("different with our built-in pipelines", report.pipelines);
  console.log(
    `equivalent: compiler ${both - report.compiler.length} of ${both}; ` +
      `with our pipelines ${both - report.pipelines.length} of ${files.length}`,
  );
}
