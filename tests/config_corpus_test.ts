/** Every Wolfi file of the corpus loads, validates and compiles for both architectures. */
import { assert, assertEquals } from "./assert.ts";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { compileSync, loadConfigSync } from "../lib/config/mod.ts";
import { runCli } from "./cli.ts";
import { haveShared, sharedPath } from "./shared.ts";

const shared = { ignore: !haveShared };
const corpus = sharedPath("corpus", "wolfi-os");

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
