/**
 * Every Wolfi file of the corpus loads, validates and compiles for both
 * architectures, and compiles to what Go melange v0.59.1 printed for it
 * (wolfi-os-compiled/): with melange's own pipeline files, the same in every
 * compared part, scripts included; with our built-in pipelines, the same
 * environment packages, step structure and subpackages.
 */
import { assert, assertEquals } from "./assert.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileSync, loadConfigSync } from "../lib/config/mod.ts";
import { runCli } from "./cli.ts";
import { haveShared, sharedPath } from "./shared.ts";
import {
  fromMelange,
  fromOurs,
  viewDifferences as differences,
  withoutScriptsOf,
} from "./support/melange_view.ts";

const shared = { ignore: !haveShared };
const corpus = sharedPath("corpus", "wolfi-os");
const compiled = sharedPath("corpus", "wolfi-os-compiled");
const melangePipelines = sharedPath("melange-pipelines-v0.59.1");

Deno.test({
  name: "corpus: every Wolfi file compiles for x86_64 and aarch64 with the corpus pipelines",
  ...shared,
  fn: () => {
    const files = readdirSync(corpus).filter((f) => f.endsWith(".yaml")).sort();
    assert(files.length >= 40, `${files.length} files`);
    for (const file of files) {
      const config = loadConfigSync(join(corpus, file));
      for (const arch of ["x86_64", "aarch64"]) {
        const c = compileSync(config, { arch, pipelineDirs: [join(corpus, "pipelines")] });
        assertEquals(c.arch, arch);
        assert(c.package.name && c.package.version, file);
        // Nothing left to substitute anywhere in the result.
        const text = JSON.stringify(c);
        assert(
          !text.includes("${{"),
          `${file} (${arch}): unsubstituted ${text.match(/\$\{\{[^}]*\}\}/)?.[0]}`,
        );
        // Every `uses:` was expanded into steps.
        const walk = (steps: typeof c.pipeline): void => {
          for (const s of steps) {
            if (s.uses) {
              assert(
                s.pipeline !== undefined || s.runs !== undefined,
                `${file}: ${s.uses} not expanded`,
              );
            }
            walk(s.pipeline ?? []);
          }
        };
        walk(c.pipeline);
        for (const sub of c.subpackages) walk(sub.pipeline);
      }
    }
  },
});

Deno.test({
  name: "corpus: melange2 compile prints the same bytes every time",
  ...shared,
  fn: async () => {
    const file = join(corpus, readdirSync(corpus).filter((f) => f.endsWith(".yaml")).sort()[0]);
    const args = [
      "compile",
      file,
      "--arch",
      "aarch64",
      "--pipeline-dir",
      join(corpus, "pipelines"),
    ];
    const a = await runCli(args);
    const b = await runCli(args);
    assertEquals(a.code, 0, a.stderr);
    assertEquals(a.stdout, b.stdout);
    assertEquals(JSON.parse(a.stdout).arch, "aarch64");
  },
});

/** The corpus files that have melange's output beside them. */
function comparedFiles(): string[] {
  return readdirSync(corpus).filter((f) =>
    f.endsWith(".yaml") && existsSync(join(compiled, f.replace(/\.yaml$/, ".json")))
  ).sort();
}

function melangeView(file: string) {
  const json = readFileSync(join(compiled, file.replace(/\.yaml$/, ".json")), "utf8");
  return fromMelange(JSON.parse(json));
}

Deno.test({
  name: "corpus: with melange's pipeline files, every file compiles to what melange printed",
  ignore: !haveShared || !existsSync(compiled) || !existsSync(melangePipelines),
  fn: () => {
    const files = comparedFiles();
    assert(files.length >= 40, `${files.length} files`);
    const pipelineDirs = [join(corpus, "pipelines"), melangePipelines];
    const bad: string[] = [];
    for (const file of files) {
      const ours = fromOurs(compileSync(loadConfigSync(join(corpus, file)), {
        arch: "x86_64",
        pipelineDirs,
      }));
      const diffs = differences(melangeView(file), ours);
      if (diffs.length) bad.push(`${file}:\n  ${diffs.join("\n  ")}`);
    }
    assertEquals(bad, [], `${bad.length} of ${files.length} files differ`);
  },
});

Deno.test({
  name: "corpus: with our built-in pipelines, the same packages, step structure and subpackages",
  ignore: !haveShared || !existsSync(compiled),
  fn: () => {
    const files = comparedFiles();
    const pipelineDirs = [join(corpus, "pipelines")];
    // Scripts inside a built-in pipeline are ours and melange's, each in its
    // own words; everything else, their scripts included, must agree.
    const builtin = (uses: string) => !existsSync(join(corpus, "pipelines", `${uses}.yaml`));
    const bad: string[] = [];
    for (const file of files) {
      const ours = fromOurs(compileSync(loadConfigSync(join(corpus, file)), {
        arch: "x86_64",
        pipelineDirs,
      }));
      const diffs = differences(
        withoutScriptsOf(melangeView(file), builtin),
        withoutScriptsOf(ours, builtin),
      );
      if (diffs.length) bad.push(`${file}:\n  ${diffs.join("\n  ")}`);
    }
    assertEquals(bad, [], `${bad.length} of ${files.length} files differ`);
  },
});
