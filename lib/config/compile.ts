/**
 * Compiling a loaded melange file for one architecture: every variable
 * substituted, every `if:` decided, every `uses:` expanded with its inputs
 * checked, subpackage ranges unrolled, and the environment's package list
 * completed with what the pipelines need. The output is plain data.
 */
import { UserError } from "../errors.ts";
import { archVars, normalizeArch } from "./arch.ts";
import { goReplaceAll } from "./goregexp.ts";
import type { Config } from "./load.ts";
import { type PipelineFile, pipelineLoader } from "./pipelines.ts";
import { evaluate, substitute, type Vars } from "./subst.ts";
import type {
  CompiledBuild,
  CompiledEnvironment,
  CompiledStep,
  CompiledSubpackage,
} from "./types.ts";

/** Options of {@link compile}. */
export interface CompileOptions {
  arch: string;
  pipelineDirs?: string[];
}

const WORKSPACE = "/home/build";
const OUT = `${WORKSPACE}/melange-out`;

interface Ctx {
  config: Config;
  load: (name: string) => PipelineFile;
}

/** Compiles `config` for `opts.arch`. */
export function compile(config: Config, opts: CompileOptions): Promise<CompiledBuild> {
  return Promise.resolve(compileSync(config, opts));
}

/** Where a field path is, as `file:line:col: path`, using the nearest known ancestor. */
function where(config: Config, path: string): string {
  let p = path;
  while (p && !config.positions.has(p)) p = p.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
  const pos = config.positions.get(p) ?? { line: 1, col: 1 };
  return `${config.file}:${pos.line}:${pos.col}: ${path}`;
}

function fail(config: Config, path: string, err: unknown): never {
  const msg = err instanceof Error ? err.message : String(err);
  throw new UserError(`${where(config, path)}: ${msg}`);
}

/** {@link compile}, synchronously. */
export function compileSync(config: Config, opts: CompileOptions): CompiledBuild {
  const d = config.data;
  const arch = normalizeArch(opts.arch);
  const ctx: Ctx = { config, load: pipelineLoader(opts.pipelineDirs ?? []) };
  const vars = baseVars(config, arch);
  const sub = (v: string, path: string, scope = vars) => {
    try {
      return substitute(v, scope);
    } catch (err) {
      fail(config, path, err);
    }
  };

  // Every package's output directory, subpackage names as unrolled.
  const unrolled = unrollSubpackages(config, vars).map((u) => ({
    ...u,
    name: sub(u.sp.name, `${u.path}.name`, u.scope),
  }));
  for (const name of [d.package.name, ...unrolled.map((u) => u.name)]) {
    const dir = `${OUT}/${name}`;
    vars.set(`targets.package.${name}`, dir);
    for (const u of unrolled) u.scope.set(`targets.package.${name}`, dir);
  }

  const needs: string[] = [];
  const pkg = deepSubst(d.package, vars, "package", ctx);
  const pipeline = compileSteps(d.pipeline ?? [], vars, "pipeline", ctx, needs);
  const subpackages: CompiledSubpackage[] = [];
  for (const { sp, scope, path, name } of unrolled) {
    const subVars = new Map(scope);
    for (const [k, v] of Object.entries(subpackageVars(name))) subVars.set(k, v);
    const { pipeline: steps, test, range: _r, if: _i, name: _n, ...rest } = sp;
    // melange compiles a subpackage's steps, and adds what they need to the
    // build environment, whether or not its condition holds.
    const compiledSteps = compileSteps(steps ?? [], subVars, `${path}.pipeline`, ctx, needs);
    if (sp.if && !decide(sp.if, subVars, `${path}.if`, ctx)) continue;
    const compiled: CompiledSubpackage = {
      ...deepSubst(rest, subVars, path, ctx),
      name,
      pipeline: compiledSteps,
    };
    // A subpackage without its own commit has the package's.
    if (compiled.commit === undefined && pkg.commit !== undefined) compiled.commit = pkg.commit;
    if (test) compiled.test = compileTest(test, subVars, `${path}.test`, ctx, name, d.environment);
    subpackages.push(compiled);
  }
  const environment = compiledEnvironment(
    deepSubst(d.environment ?? {}, vars, "environment", ctx),
    needs,
  );
  const out: CompiledBuild = {
    package: { ...pkg, epoch: Number(d.package.epoch ?? 0) },
    arch,
    environment,
    pipeline,
    subpackages,
  };
  if (d.test) out.test = compileTest(d.test, vars, "test", ctx, d.package.name, d.environment);
  for (const key of ["capabilities", "vars", "options", "update"]) {
    if (d[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = d[key];
  }
  return out;
}

/** The variables every part of the file sees. */
function baseVars(config: Config, arch: string): Vars {
  const d = config.data;
  const p = d.package;
  const epoch = String(p.epoch ?? 0);
  const vars: Vars = new Map(Object.entries({
    "package.name": p.name,
    "package.version": p.version,
    "package.epoch": epoch,
    "package.full-version": `${p.version}-r${epoch}`,
    "package.description": p.description ?? "",
    "package.srcdir": WORKSPACE,
    "targets.outdir": OUT,
    "targets.destdir": `${OUT}/${p.name}`,
    "targets.contextdir": `${OUT}/${p.name}`,
    "context.name": p.name,
    ...archVars(arch),
  }));
  resolveVars(config, vars);
  (d["var-transforms"] ?? []).forEach((t: Record<string, string>, i: number) => {
    const path = `var-transforms[${i}]`;
    try {
      vars.set(`vars.${t.to}`, goReplaceAll(substitute(t.from, vars), t.match, t.replace ?? ""));
    } catch (err) {
      fail(config, path, err);
    }
  });
  for (const k of Object.keys(d.options ?? {})) vars.set(`options.${k}.enabled`, "false");
  return vars;
}

/** `vars` may refer to each other in any order; resolve until nothing changes. */
function resolveVars(config: Config, vars: Vars): void {
  const pending = new Map<string, string>(Object.entries(config.data.vars ?? {}));
  while (pending.size) {
    let progressed = false;
    for (const [k, v] of pending) {
      try {
        vars.set(`vars.${k}`, substitute(v, vars));
        pending.delete(k);
        progressed = true;
      } catch {
        // depends on a var not resolved yet
      }
    }
    if (!progressed) {
      const [k, v] = [...pending][0];
      try {
        substitute(v, vars);
      } catch (err) {
        fail(config, `vars.${k}`, err);
      }
    }
  }
}

function subpackageVars(name: string): Record<string, string> {
  return {
    "subpkg.name": name,
    "context.name": name,
    "targets.subpkgdir": `${OUT}/${name}`,
    "targets.contextdir": `${OUT}/${name}`,
  };
}

/** Subpackages with their scopes; a `range:` subpackage once per data item, keys sorted. */
function unrollSubpackages(config: Config, vars: Vars) {
  const d = config.data;
  const data = new Map<string, Record<string, string>>(
    (d.data ?? []).map((
      x: { name: string; items?: Record<string, string> },
    ) => [x.name, x.items ?? {}]),
  );
  // deno-lint-ignore no-explicit-any
  const out: { sp: any; scope: Vars; path: string }[] = [];
  (d.subpackages ?? []).forEach((sp: { range?: string }, i: number) => {
    const path = `subpackages[${i}]`;
    if (!sp.range) {
      out.push({ sp, scope: vars, path });
      return;
    }
    const items = data.get(sp.range);
    if (!items) fail(config, `${path}.range`, `no data named "${sp.range}"`);
    for (const key of Object.keys(items).sort()) {
      const scope = new Map(vars);
      scope.set("range.key", key);
      scope.set("range.value", items[key]);
      out.push({ sp, scope, path });
    }
  });
  return out;
}

/** Substitutes every string inside `value`. */
// deno-lint-ignore no-explicit-any
function deepSubst(value: any, vars: Vars, path: string, ctx: Ctx): any {
  if (typeof value === "string") {
    try {
      return substitute(value, vars);
    } catch (err) {
      fail(ctx.config, path, err);
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => deepSubst(v, vars, `${path}[${i}]`, ctx));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, deepSubst(v, vars, `${path}.${k}`, ctx)]),
    );
  }
  return value;
}

function decide(expr: string, vars: Vars, path: string, ctx: Ctx): boolean {
  try {
    return evaluate(substitute(expr, vars, true));
  } catch (err) {
    fail(ctx.config, path, err);
  }
}

/** What a nested step inherits from the step around it. */
interface Parent {
  /** The parent's scope: the file's variables plus its `inputs.*`. */
  scope: Vars;
  workdir?: string;
}

function compileSteps(
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
    const want = SHA_LENGTHS[k];
    if (want && own[k] && (!/^[0-9a-fA-F]+$/.test(own[k]) || own[k].length !== want)) {
      fail(ctx.config, `${path}.with.${k}`, `${k} must be ${want} hexadecimal digits`);
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
  if (step.name) out.name = sub(step.name, "name");
  if (step.uses) out.uses = step.uses;
  if (s.runs) out.runs = sub(s.runs, "runs");
  if (workdir) out.workingDirectory = workdir;
  if (s.environment && Object.keys(s.environment).length) {
    out.environment = Object.fromEntries(
      Object.entries(s.environment as Record<string, string>).map((
        [k, v],
      ) => [k, sub(v, `environment.${k}`)]),
    );
  }
  if (s.pipeline?.length) {
    out.pipeline = compileSteps(s.pipeline, vars, `${path}.pipeline`, ctx, needs, {
      scope,
      workdir,
    });
  }
  return out;
}

function compiledEnvironment(
  // deno-lint-ignore no-explicit-any
  env: any,
  needs: string[],
  extra: string[] = [],
): CompiledEnvironment {
  const contents = env.contents ?? {};
  const users = [...(env.accounts?.users ?? [])];
  const groups = [...(env.accounts?.groups ?? [])];
  // melange always adds the build user and group.
  if (!groups.some((g: { groupname: string }) => g.groupname === "build")) {
    groups.push({ groupname: "build", gid: 1000, members: ["build"] });
  }
  if (!users.some((u: { username: string }) => u.username === "build")) {
    users.push({ username: "build", uid: 1000, gid: 1000 });
  }
  const accounts = { ...env.accounts, users, groups };
  return {
    ...env,
    contents: {
      ...contents,
      repositories: contents.repositories ?? [],
      keyring: contents.keyring ?? [],
      packages: [...new Set([...(contents.packages ?? []), ...needs, ...extra])].sort(),
    },
    accounts,
    environment: env.environment ?? {},
  };
}

function compileTest(
  // deno-lint-ignore no-explicit-any
  test: any,
  vars: Vars,
  path: string,
  ctx: Ctx,
  packageName: string,
  // deno-lint-ignore no-explicit-any
  _buildEnv: any,
) {
  const needs: string[] = [];
  const pipeline = compileSteps(test.pipeline ?? [], vars, `${path}.pipeline`, ctx, needs);
  const env = deepSubst(test.environment ?? {}, vars, `${path}.environment`, ctx);
  return { environment: compiledEnvironment(env, needs, [packageName]), pipeline };
}
