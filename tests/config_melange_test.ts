/**
 * `melange2 compile` side by side with Go melange v0.59.1's `melange compile`
 * run live ($MELANGE2_MELANGE, which scripts/setup.sh builds), on
 *
 * - every file of the Wolfi corpus, compared as tests/config_corpus_test.ts
 *   compares them with melange's stored output: with melange's pipeline
 *   files beside the corpus pipelines, equal in every compared part; with our
 *   built-in pipelines, equal but for the scripts inside built-in pipelines;
 * - generated files (tests/support/melange_gen.ts): both refuse, or both
 *   compile to the same view. A run is seeded (MELANGE2_FUZZ_SEED replays
 *   it) and has MELANGE2_FUZZ_CASES cases (200 by default).
 *
 * melange runs two processes at a time.
 */
import { assert, assertEquals } from "./assert.ts";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { compileSync, type Config, loadConfigSync, loadConfigText } from "../lib/config/mod.ts";
import { pipelineLoader } from "../lib/config/pipelines.ts";
import type { Vars } from "../lib/config/subst.ts";
import { baseVars, OUT, subpackageVars } from "../lib/config/vars.ts";
import { haveShared, sharedPath } from "./shared.ts";
import { type GenCase, generateCase } from "./support/melange_gen.ts";
import { inPool, melangeCompile, type MelangeResult, noMelange } from "./support/melange_live.ts";
import {
  type BuildView,
  fromMelange,
  fromOurs,
  viewDifferences,
  withoutScriptsOf,
} from "./support/melange_view.ts";
import { withTempDir } from "./support/tmp.ts";

const JOBS = 2;
const CASES = Number(Deno.env.get("MELANGE2_FUZZ_CASES") ?? 200);
const SEED = Number(Deno.env.get("MELANGE2_FUZZ_SEED") ?? Date.now() % 2 ** 31);
const corpus = sharedPath("corpus", "wolfi-os");
const melangePipelines = sharedPath("melange-pipelines-v0.59.1");

/** Our view of a compile, or why we refused. */
function ours(compile: () => Parameters<typeof fromOurs>[0]): { view: BuildView } | {
  error: string;
} {
  try {
    return { view: fromOurs(compile()) };
  } catch (err) {
    return { error: (err as Error).message.split("\n")[0] };
  }
}

/**
 * The variables melange's compile substitutes into a subpackage's `if:`
 * (it prints the condition unsubstituted; see fromMelange), by subpackage.
 */
// deno-lint-ignore no-explicit-any
function conditionVars(config: Config, json: any, arch: string): (name: string) => Vars {
  const base = baseVars(config, arch);
  for (const p of [json.package, ...json.subpackages ?? []]) {
    base.set(`targets.package.${p.name}`, `${OUT}/${p.name}`);
  }
  return (name) => new Map([...base, ...Object.entries(subpackageVars(name))]);
}

Deno.test({
  name: "melange live: every corpus file compiles as melange compiles it, with either pipelines",
  ignore: noMelange !== undefined || !haveShared,
  fn: async () => {
    const files = readdirSync(corpus).filter((f) => f.endsWith(".yaml")).sort();
    assert(files.length >= 40, `${files.length} files`);
    const theirs = await inPool(
      files,
      JOBS,
      (f) => melangeCompile(f, { cwd: corpus, pipelineDir: "pipelines" }),
    );
    const withMelange = pipelineLoader([join(corpus, "pipelines"), melangePipelines]);
    const withOurs = pipelineLoader([join(corpus, "pipelines")]);
    // Scripts inside a built-in pipeline are ours and melange's, each in its own words.
    const builtin = (uses: string) => !existsSync(join(corpus, "pipelines", `${uses}.yaml`));
    const bad: string[] = [];
    let compiled = 0;
    for (const [i, file] of files.entries()) {
      const t = theirs[i];
      const compile = (loader: typeof withOurs) => () =>
        compileSync(loadConfigSync(join(corpus, file)), { arch: "x86_64", loader });
      const full = ours(compile(withMelange));
      const mine = ours(compile(withOurs));
      if ("error" in t || "error" in full || "error" in mine) {
        const results = [t, full, mine];
        if (results.some((x) => ("error" in x) !== ("error" in t))) {
          const [a, b, c] = results.map((x) => "error" in x ? `refused (${x.error})` : "compiled");
          bad.push(`${file}: melange ${a}; ours ${b}; with our pipelines ${c}`);
        }
        continue;
      }
      compiled++;
      const want = fromMelange(
        t.json,
        conditionVars(loadConfigSync(join(corpus, file)), t.json, "x86_64"),
      );
      const a = viewDifferences(want, full.view);
      const b = viewDifferences(
        withoutScriptsOf(want, builtin),
        withoutScriptsOf(mine.view, builtin),
      );
      if (a.length) bad.push(`${file} (melange's pipelines):\n  ${a.join("\n  ")}`);
      if (b.length) bad.push(`${file} (our pipelines):\n  ${b.join("\n  ")}`);
    }
    assertEquals(bad, [], `${bad.length} differences in ${files.length} files`);
    assert(compiled >= files.length - 2, `only ${compiled} of ${files.length} files compiled`);
  },
});

/** Writes a case into `dir`: build.yaml and pipelines/<name>.yaml. */
function writeCase(c: GenCase, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "build.yaml"), c.text);
  for (const [name, text] of Object.entries(c.pipelines)) {
    const file = join(dir, "pipelines", `${name}.yaml`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

/**
 * melange on a case; a case with a chained var again while melange refuses
 * it only for taking the vars in the wrong (random) order.
 */
async function melangeOn(c: GenCase, dir: string): Promise<MelangeResult & { order?: boolean }> {
  const opts = { cwd: dir, pipelineDir: "pipelines", arch: c.arch };
  let res = await melangeCompile("build.yaml", opts);
  const orderOnly = (r: MelangeResult) =>
    c.chained !== undefined && "error" in r && r.error === `variable vars.${c.chained} not defined`;
  for (let i = 0; i < 40 && orderOnly(res); i++) res = await melangeCompile("build.yaml", opts);
  return orderOnly(res) ? { ...res, order: true } : res;
}

/** Why melange's result and ours disagree on a case, or "" when they agree. */
function disagreement(
  t: MelangeResult & { order?: boolean },
  o: ReturnType<typeof ours>,
  config: () => Config,
  arch: string,
): string {
  // Never compiled by melange: nothing to compare (ours resolves vars in order, see melange_gen.ts).
  if (t.order) return "";
  if ("error" in t && "error" in o) return "";
  if ("error" in t) return `melange refused (${t.error}); ours compiled`;
  if ("error" in o) return `ours refused (${o.error}); melange compiled`;
  let want: BuildView;
  try {
    want = fromMelange(t.json, conditionVars(config(), t.json, arch));
  } catch (err) {
    return `melange's output cannot be viewed: ${(err as Error).message}`;
  }
  return viewDifferences(want, o.view).join("\n");
}

Deno.test({
  name: `melange live: ${CASES} generated files compile as melange compiles them (seed ${SEED})`,
  ignore: noMelange !== undefined,
  fn: () =>
    withTempDir(async (root) => {
      console.log(`melange live seed ${SEED} (MELANGE2_FUZZ_SEED=${SEED} replays this run)`);
      const cases = Array.from({ length: CASES }, (_, i) => generateCase(SEED, i));
      cases.forEach((c, i) => writeCase(c, join(root, `case-${i}`)));
      const theirs = await inPool(cases, JOBS, (c, i) => melangeOn(c, join(root, `case-${i}`)));
      const bad: string[] = [];
      let refused = 0;
      for (const [i, c] of cases.entries()) {
        const dir = join(root, `case-${i}`);
        const config = () => loadConfigText(c.text, join(dir, "build.yaml"));
        const o = ours(() =>
          compileSync(config(), { arch: c.arch, pipelineDirs: [join(dir, "pipelines")] })
        );
        if ("error" in theirs[i] && "error" in o) refused++;
        const why = disagreement(theirs[i], o, config, c.arch);
        if (!why) continue;
        const pipelines = Object.entries(c.pipelines).map(([n, t]) => `--- ${n}.yaml\n${t}`);
        bad.push(`case ${i} (${c.arch}): ${why}\n--- build.yaml\n${c.text}${pipelines.join("")}`);
      }
      assert(
        bad.length === 0,
        `${bad.length} of ${CASES} cases differ (MELANGE2_FUZZ_SEED=${SEED} replays them); the first:\n\n` +
          bad.slice(0, 3).join("\n\n"),
      );
      console.log(`${CASES} generated files agree (${refused} refused by both)`);
      assert(refused < CASES / 2, `${refused} of ${CASES} refused by both: the generator is off`);
    }),
});
