/**
 * Compiling a loaded melange file for one architecture: every variable
 * substituted, every `if:` decided, every `uses:` expanded with its inputs
 * checked, subpackage ranges unrolled, and the environment's package list
 * completed with what the pipelines need. The output is plain data.
 */
import { normalizeArch } from "./arch.ts";
import { applyBuildOptions, type PackagePatch, patchPackages } from "./buildoptions.ts";
import { type Ctx, decide, fail } from "./context.ts";
import { substituteDependencies, substituteEnvPackages } from "./depsubst.ts";
import type { Config } from "./load.ts";
import { type PipelineFile, pipelineLoader } from "./pipelines.ts";
import { checkStepShapes, compileSteps } from "./steps.ts";
import { replaceKnownDeep, type Vars } from "./subst.ts";
import type { CompiledBuild, CompiledEnvironment, CompiledSubpackage } from "./types.ts";
import { checkFields, checkNames } from "./validate.ts";
import { fileVars, OUT, subpackageVars } from "./vars.ts";

export { baseVars, MAX_TRANSFORM_INPUT } from "./vars.ts";

/** Options of {@link compile}. */
export interface CompileOptions {
  arch: string;
  pipelineDirs?: string[];
  /**
   * Where `uses:` pipelines come from, instead of a loader of `pipelineDirs`:
   * one loader can serve many compiles (it keeps what it read).
   */
  loader?: (name: string) => PipelineFile;
  /** melange's `--build-option`: names of the file's `options:` to apply. */
  buildOptions?: string[];
}

/** Compiles `config` for `opts.arch`. */
export function compile(config: Config, opts: CompileOptions): Promise<CompiledBuild> {
  return Promise.resolve(compileSync(config, opts));
}

/** {@link compile}, synchronously. */
export function compileSync(config: Config, opts: CompileOptions): CompiledBuild {
  const d = config.data;
  const arch = normalizeArch(opts.arch);
  const ctx: Ctx = { config, load: opts.loader ?? pipelineLoader(opts.pipelineDirs ?? []) };
  const fv = fileVars(config, arch);
  const vars = fv.step;
  // As melange does when it reads a file, the package's fields and `vars`
  // (and a range subpackage's `range.*`) are first replaced as plain text
  // everywhere in the file; only steps are then substituted strictly.
  const early = fv.readTime;
  // Build options patch the file after it is read (melange's New), so `early` keeps the file's.
  const patches = applyBuildOptions(d.options, opts.buildOptions ?? [], vars);

  // Every package's output directory, subpackage names as unrolled.
  const unrolled = unrollSubpackages(config, early, fv.later);
  checkStepShapes(d.pipeline, "pipeline", ctx);
  for (const u of unrolled) checkStepShapes(u.sp.pipeline, `${u.path}.pipeline`, ctx);
  const packageName = String(replaceKnownDeep(d.package.name, early));
  checkNames(
    ctx,
    packageName,
    unrolled.map((u) => ({ name: String(u.sp.name), path: u.path })),
  );
  for (const name of [packageName, ...unrolled.map((u) => u.sp.name)]) {
    vars.set(`targets.package.${name}`, `${OUT}/${name}`);
  }

  const needs: string[] = [];
  const pkg = replaceKnownDeep(d.package, early);
  if (pkg.dependencies) {
    pkg.dependencies = substituteDependencies(pkg.dependencies, fv, "package.dependencies", ctx);
  }
  const pipeline = compileSteps(
    replaceKnownDeep(d.pipeline ?? [], early),
    vars,
    "pipeline",
    ctx,
    needs,
  );
  const subpackages: CompiledSubpackage[] = [];
  const subpackagePaths: string[] = [];
  for (const { sp, path } of unrolled) {
    const name: string = sp.name;
    const subVars = new Map(vars);
    for (const [k, v] of Object.entries(subpackageVars(name))) subVars.set(k, v);
    const { pipeline: steps, test, range: _r, if: _i, name: _n, ...rest } = sp;
    if (rest.dependencies) {
      rest.dependencies = substituteDependencies(
        rest.dependencies,
        fv,
        `${path}.dependencies`,
        ctx,
        true,
      );
    }
    // melange compiles a subpackage's steps and test, and adds what the steps
    // need to the build environment, whether or not its condition holds.
    const compiledSteps = compileSteps(steps ?? [], subVars, `${path}.pipeline`, ctx, needs);
    const compiledTest = test && compileTest(
      {
        ...test,
        environment: substituteEnvPackages(
          test.environment,
          fv.later,
          `${path}.test.environment`,
          ctx,
        ),
      },
      subVars,
      `${path}.test`,
      ctx,
      name,
    );
    if (sp.if && !decide(sp.if, subVars, `${path}.if`, ctx)) continue;
    const compiled: CompiledSubpackage = { ...rest, name, pipeline: compiledSteps };
    // A subpackage without its own commit has the package's.
    if (compiled.commit === undefined && pkg.commit !== undefined) compiled.commit = pkg.commit;
    if (compiledTest) compiled.test = compiledTest;
    subpackages.push(compiled);
    subpackagePaths.push(path);
  }
  const environment = compiledEnvironment(
    withPackages(
      substituteEnvPackages(
        replaceKnownDeep(d.environment ?? {}, early),
        fv.later,
        "environment",
        ctx,
      ),
      patches,
    ),
    needs,
  );
  const out: CompiledBuild = {
    package: { ...pkg, epoch: Number(d.package.epoch ?? 0) },
    arch,
    environment,
    pipeline,
    subpackages,
  };
  checkFields(ctx, out, subpackagePaths);
  if (d.test) {
    const t = replaceKnownDeep(d.test, early);
    t.environment = substituteEnvPackages(t.environment, fv.later, "test.environment", ctx);
    out.test = compileTest(t, vars, "test", ctx, pkg.name);
  }
  for (const key of ["capabilities", "vars", "options", "update"]) {
    if (d[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = d[key];
  }
  return out;
}

/** `env` with the build options' package edits applied to its contents. */
// deno-lint-ignore no-explicit-any
function withPackages(env: any, patches: PackagePatch[]): any {
  if (!patches.length) return env;
  const contents = env.contents ?? {};
  return {
    ...env,
    contents: { ...contents, packages: patchPackages(contents.packages ?? [], patches) },
  };
}

/**
 * Subpackages with melange's read-time replacement applied; a `range:`
 * subpackage once per data item (keys sorted), `range.key` and `range.value`
 * replaced with `later` (melange makes that map once the package's own
 * fields are replaced).
 */
function unrollSubpackages(config: Config, early: Vars, later: Vars) {
  const d = config.data;
  const data = new Map<string, Record<string, string>>(
    (d.data ?? []).map((
      x: { name: string; items?: Record<string, string> },
    ) => [x.name, x.items ?? {}]),
  );
  // deno-lint-ignore no-explicit-any
  const out: { sp: any; path: string }[] = [];
  (d.subpackages ?? []).forEach((sp: { range?: string }, i: number) => {
    const path = `subpackages[${i}]`;
    if (!sp.range) {
      out.push({ sp: replaceKnownDeep(sp, early), path });
      return;
    }
    const items = data.get(sp.range);
    if (!items) fail(config, `${path}.range`, `no data named "${sp.range}"`);
    for (const key of Object.keys(items).sort()) {
      const scope = new Map(later);
      scope.set("range.key", key);
      scope.set("range.value", items[key]);
      out.push({ sp: replaceKnownDeep(sp, scope), path });
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
) {
  const needs: string[] = [];
  const pipeline = compileSteps(test.pipeline ?? [], vars, `${path}.pipeline`, ctx, needs);
  return {
    environment: compiledEnvironment(test.environment ?? {}, needs, [packageName]),
    pipeline,
  };
}
