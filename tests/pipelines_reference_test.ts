/**
 * Each built-in pipeline against melange v0.59.1's file of the same name
 * (../shared/melange-pipelines-v0.59.1): the same inputs with the same
 * defaults and required flags, the same `needs.packages`, and the same
 * steps (names, `uses:`, working directories, conditions, nesting).
 */
import { assertEquals } from "./assert.ts";
import { existsSync } from "node:fs";
import { parse } from "yaml";
import { builtinPipeline, builtinPipelineNames } from "../lib/pipelines/mod.ts";
import { haveShared, sharedPath } from "./shared.ts";

const reference = sharedPath("melange-pipelines-v0.59.1");

// deno-lint-ignore no-explicit-any
type Doc = any;

/** What must agree, from a parsed pipeline file (defaults as melange reads them: text). */
function shape(doc: Doc) {
  const steps = (xs: Doc[] | undefined): unknown[] =>
    (xs ?? []).map((s) => ({
      name: s.name,
      uses: s.uses,
      workdir: s["working-directory"],
      if: s.if,
      runs: typeof s.runs === "string",
      pipeline: steps(s.pipeline),
    }));
  const inputs = Object.fromEntries(
    Object.entries(doc.inputs ?? {}).sort(([a], [b]) => a < b ? -1 : 1).map(([k, v]) => {
      const i = (v ?? {}) as { default?: unknown; required?: boolean };
      return [k, {
        default: i.default === undefined ? undefined : String(i.default),
        required: !!i.required,
      }];
    }),
  );
  return { inputs, needs: doc.needs?.packages ?? [], steps: steps(doc.pipeline) };
}

Deno.test({
  name: "pipelines: inputs, needs and steps are those of melange's pipeline of the same name",
  ignore: !haveShared || !existsSync(reference),
  fn: () => {
    const names = builtinPipelineNames();
    const bad: string[] = [];
    for (const name of names) {
      const file = `${reference}/${name}.yaml`;
      if (!existsSync(file)) {
        bad.push(`${name}: melange has no such pipeline`);
        continue;
      }
      const want = JSON.stringify(shape(parse(Deno.readTextFileSync(file))));
      const got = JSON.stringify(shape(parse(builtinPipeline(name)!)));
      if (want !== got) bad.push(`${name}:\n  melange ${want}\n  ours    ${got}`);
    }
    assertEquals(bad, []);
  },
});
