/**
 * Compiling a loaded melange file for one architecture: every variable
 * substituted, every `if:` decided, every `uses:` expanded with its inputs
 * checked, subpackage ranges unrolled, and the environment's package list
 * completed with what the pipelines need. The output is plain data.
 */
import { archVars, normalizeArch } from "./arch.ts";
import { type Ctx, decide, deepSubst, fail } from "./context.ts";
import { goReplaceAll } from "./goregexp.ts";
import type { Config } from "./load.ts";
import { pipelineLoader } from "./pipelines.ts";
import { compileSteps } from "./steps.ts";
import { substitute, type Vars } from "./subst.ts";
import type { CompiledBuild, CompiledEnvironment, CompiledSubpackage } from "./types.ts";

/** Options of {@link compile}. */
export interface CompileOptions {
  arch: string;
  pipelineDirs?: string[];
}

const WORKSPACE = "/home/build";
const OUT = `${WORKSPACE}/melange-out`;

/** Compiles `config` for `opts.arch`. */
export function compile(config: Config, opts: CompileOptions): Promise<CompiledBuild> {
  return Promise.resolve(compileSync(config, opts));
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

/** The variables every part of the file sees (`package.version`, `vars.x`, transforms...). */
export function baseVars(config: Config, arch: string): Vars {
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
