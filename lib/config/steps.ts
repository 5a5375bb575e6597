/**
 * Compiling pipeline steps: `uses:` expanded from the pipeline file, inputs
 * scoped as melange scopes them, variables substituted, `if:` decided, and
 * the packages each running step needs collected.
 */
import { type Ctx, decideSubstituted, fail } from "./context.ts";
import type { PipelineFile } from "./pipelines.ts";
import { substitute, type Vars } from "./subst.ts";
import type { CompiledStep } from "./types.ts";

/** What a nested step inherits from the step around it. */
interface Parent {
  /** The parent's scope: the file's variables plus its `inputs.*`. */
  scope: Vars;
  workdir?: string;
}

/**
 * Compiles `steps`, dropping those whose `if:` is false; adds what the
 * others need to `needs`. As melange does, every step is compiled first,
 * false ones and those inside them too (an undefined variable or input
 * there is an error), and only then are conditions decided, from the
 * outside in: the steps inside a false one are dropped undecided.
 */
export function compileSteps(
  // deno-lint-ignore no-explicit-any
  steps: any[],
  vars: Vars,
  path: string,
  ctx: Ctx,
  needs: string[],
  parent?: Parent,
): CompiledStep[] {
  return gather(prepareSteps(steps, vars, path, ctx, parent), needs);
}

/** A compiled step whose condition is not decided yet. */
interface Pending {
  step: CompiledStep;
  /** The `if:` with its variables substituted (quoted), and where it was. */
  cond?: { expr: string; path: string; ctx: Ctx };
  needs: string[];
  children: Pending[];
}

function prepareSteps(
  // deno-lint-ignore no-explicit-any
  steps: any[],
  vars: Vars,
  path: string,
  ctx: Ctx,
  parent?: Parent,
): Pending[] {
  return steps.map((step, i) => prepareStep(step, vars, `${path}[${i}]`, ctx, parent));
}

/** The steps whose conditions hold, outside in; their needs added to `needs`. */
function gather(pending: Pending[], needs: string[]): CompiledStep[] {
  const out: CompiledStep[] = [];
  for (const p of pending) {
    if (p.cond && !decideSubstituted(p.cond.expr, p.cond.path, p.cond.ctx)) continue;
    needs.push(...p.needs);
    const children = gather(p.children, needs);
    if (children.length || p.children.length) p.step.pipeline = children;
    out.push(p.step);
  }
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
    // Checked as written (melange's validateWith): `expected-sha256: ${{vars.sha}}`
    // in a build file was replaced when the file was read, `${{ vars.sha }}` or
    // an input passed on inside a pipeline file is not a checksum.
    const want = SHA_LENGTHS[k];
    const v = own[k];
    if (want && v && (!/^[0-9a-fA-F]+$/.test(v) || v.length !== want)) {
      fail(ctx.config, `${path}.with.${k}`, `${k} must be ${want} hexadecimal digits, got "${v}"`);
    }
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
  }
  return scope;
}

/** Most pipelines a `uses:` may nest inside one another. */
const MAX_USES_DEPTH = 64;

/** Enters pipeline `name`, refusing a cycle (naming it) or nesting beyond the limit. */
function enterUses(chain: string[], name: string, path: string, ctx: Ctx): void {
  const at = chain.indexOf(name);
  if (at >= 0) {
    const cycle = [...chain.slice(at), name].join(" -> ");
    fail(ctx.config, `${path}.uses`, `pipeline cycle: ${cycle}`);
  }
  if (chain.length >= MAX_USES_DEPTH) {
    fail(ctx.config, `${path}.uses`, `pipelines nested more than ${MAX_USES_DEPTH} deep`);
  }
  chain.push(name);
}

function prepareStep(
  // deno-lint-ignore no-explicit-any
  step: any,
  vars: Vars,
  path: string,
  ctx: Ctx,
  parent?: Parent,
): Pending {
  const s = step.uses && !step.pipeline?.length ? expandUses(step, path, ctx) : step;
  const label = s !== step ? ` (pipeline ${step.uses})` : "";
  const scope = stepScope(s, vars, path, ctx, parent);
  const sub = (v: string, field: string, quote = false) => {
    try {
      return substitute(v, scope, quote);
    } catch (err) {
      fail(ctx.config, `${path}.${field}`, `${(err as Error).message}${label}`);
    }
  };
  const needs = (s.needs?.packages ?? []).map((p: string) => sub(p, "needs.packages"));
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
  const cond = s.if ? { expr: sub(s.if, "if", true), path: `${path}.if`, ctx } : undefined;
  let children: Pending[] = [];
  if (s.pipeline?.length) {
    const chain = ctx.uses ??= [];
    if (s !== step) enterUses(chain, step.uses, path, ctx);
    try {
      children = prepareSteps(s.pipeline, vars, `${path}.pipeline`, ctx, { scope, workdir });
    } finally {
      if (s !== step) chain.pop();
    }
  }
  return { step: out, cond, needs, children };
}

/**
 * The build file's own steps (the package's and subpackages', nested ones
 * included; melange does not look at tests or pipeline files here) must
 * not give `with:` without `uses:`, nor `uses:` and `runs:` together: melange
 * refuses both when it reads the file, rather than ignore one of the two.
 */
// deno-lint-ignore no-explicit-any
export function checkStepShapes(steps: any[] | undefined, path: string, ctx: Ctx): void {
  (steps ?? []).forEach((s, i) => {
    const at = `${path}[${i}]`;
    if (s.with !== undefined && !s.uses) {
      fail(ctx.config, `${at}.with`, "with: is for a uses: step, and this step has no uses:");
    }
    if (s.uses && s.runs !== undefined && s.runs !== "") {
      fail(ctx.config, `${at}.runs`, `a step cannot have both uses: (${s.uses}) and runs:`);
    }
    checkStepShapes(s.pipeline, `${at}.pipeline`, ctx);
  });
}
