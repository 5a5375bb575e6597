/**
 * Compiling pipeline steps: `uses:` expanded from the pipeline file, inputs
 * scoped as melange scopes them, variables substituted, `if:` decided, and
 * the packages each running step needs collected.
 */
import { type Ctx, decide, fail } from "./context.ts";
import type { PipelineFile } from "./pipelines.ts";
import { substitute, type Vars } from "./subst.ts";
import type { CompiledStep } from "./types.ts";

/** What a nested step inherits from the step around it. */
interface Parent {
  /** The parent's scope: the file's variables plus its `inputs.*`. */
  scope: Vars;
  workdir?: string;
}

/** Compiles `steps`, dropping those whose `if:` is false; adds what they need to `needs`. */
export function compileSteps(
  // deno-lint-ignore no-explicit-any
  steps: any[],
  vars: Vars,
  path: string,
  ctx: Ctx,
  needs: string[],
  parent?: Parent,
): CompiledStep[] {
  const out: CompiledStep[] = [];
  steps.forEach((step, i) => {
    const c = compileStep(step, vars, `${path}[${i}]`, ctx, needs, parent);
    if (c) out.push(c);
  });
  return out;
}

const SHA_LENGTHS: Record<string, number> = {
  "expected-sha256": 64,
  "expected-sha512": 128,
  "expected-commit": 40,
};

/**
 * A `uses:` step with its pipeline file read in: like melange's decoding of
 * the file into the step, a field the file sets replaces the step's (the
 * environment is merged, the file's keys winning); the step keeps the rest.
 */
// deno-lint-ignore no-explicit-any
function expandUses(step: any, path: string, ctx: Ctx): any {
  let file: PipelineFile;
  try {
    file = ctx.load(step.uses);
  } catch (err) {
    fail(ctx.config, `${path}.uses`, err);
  }
  const f = file.data;
  for (const k of Object.keys(step.with ?? {})) {
    if (!(k in (f.inputs ?? {}))) {
      fail(ctx.config, `${path}.with.${k}`, `undefined input "${k}" to pipeline "${step.uses}"`);
    }
  }
  return {
    ...step,
    runs: f.runs ?? step.runs,
    pipeline: f.pipeline ?? step.pipeline,
    inputs: f.inputs,
    needs: f.needs ?? step.needs,
    environment: { ...step.environment, ...f.environment },
    "working-directory": f["working-directory"] ?? step["working-directory"],
    if: f.if ?? step.if,
  };
}

/**
 * The step's inputs as melange's validateWith and MutateWith make them: its
 * own `with:` (defaults filled in, required ones checked), each value
 * substituted in the parent's scope, then once more in the step's own scope
 * so that one input can use a sibling. Returns the step's scope.
 */
function stepScope(
  // deno-lint-ignore no-explicit-any
  s: any,
  vars: Vars,
  path: string,
  ctx: Ctx,
  parent?: Parent,
): Vars {
  const own: Record<string, string> = { ...s.with };
  for (
    const [k, input] of Object.entries(s.inputs ?? {}) as [
      string,
      { default?: string; required?: boolean },
    ][]
  ) {
    if (!own[k]) own[k] = input.default ?? "";
    if (input.required && !own[k]) {
      fail(ctx.config, path, `required input "${k}" of pipeline "${s.uses}" is missing`);
    }
  }
  const outer = parent?.scope ?? vars;
  const scope = new Map(outer);
  const keys = Object.keys(own);
  for (const k of keys) {
    let v = own[k];
    try {
      v = substitute(v, outer);
    } catch {
      // may name a sibling input: resolved below
    }
    scope.set(`inputs.${k}`, v);
  }
  for (const k of keys) {
    try {
      scope.set(`inputs.${k}`, substitute(scope.get(`inputs.${k}`)!, scope));
    } catch (err) {
      fail(ctx.config, s.with && k in s.with ? `${path}.with.${k}` : path, err);
    }
    // Checked once substituted: `expected-sha256: ${{vars.sha}}` is fine.
    const want = SHA_LENGTHS[k];
    const v = scope.get(`inputs.${k}`)!;
    if (want && v && (!/^[0-9a-fA-F]+$/.test(v) || v.length !== want)) {
      fail(ctx.config, `${path}.with.${k}`, `${k} must be ${want} hexadecimal digits, got "${v}"`);
    }
  }
  return scope;
}

function compileStep(
  // deno-lint-ignore no-explicit-any
  step: any,
  vars: Vars,
  path: string,
  ctx: Ctx,
  needs: string[],
  parent?: Parent,
): CompiledStep | undefined {
  const s = step.uses && !step.pipeline?.length ? expandUses(step, path, ctx) : step;
  const label = s !== step ? ` (pipeline ${step.uses})` : "";
  const scope = stepScope(s, vars, path, ctx, parent);
  const sub = (v: string, field: string) => {
    try {
      return substitute(v, scope);
    } catch (err) {
      fail(ctx.config, `${path}.${field}`, `${(err as Error).message}${label}`);
    }
  };
  if (s.if && !decide(s.if, scope, `${path}.if`, ctx)) return undefined;
  for (const p of s.needs?.packages ?? []) needs.push(sub(p, "needs.packages"));
  const workdir = s["working-directory"]
    ? sub(s["working-directory"], "working-directory")
    : parent?.workdir;
  const out: CompiledStep = {};
  // melange never substitutes a step's name when it compiles (a build
  // file's names had the package's fields and vars replaced when read).
  if (step.name) out.name = step.name;
  if (step.uses) out.uses = step.uses;
  if (s.runs) out.runs = sub(s.runs, "runs");
  if (workdir) out.workingDirectory = workdir;
  // Nor its environment, which reaches the shell as written.
  if (s.environment && Object.keys(s.environment).length) out.environment = { ...s.environment };
  if (s.pipeline?.length) {
    out.pipeline = compileSteps(s.pipeline, vars, `${path}.pipeline`, ctx, needs, {
      scope,
      workdir,
    });
  }
  return out;
}
