/**
 * Compiling a loaded melange file for one architecture: every variable
 * substituted, every `if:` decided, every `uses:` expanded with its inputs
 * checked, subpackage ranges unrolled, and the environment's package list
 * completed with what the pipelines need. The output is plain data.
 */
import { archVars, normalizeArch } from "./arch.ts";
import { applyBuildOptions, type PackagePatch, patchPackages } from "./buildoptions.ts";
import { type Ctx, decide, fail } from "./context.ts";
import { goReplaceAll } from "./goregexp.ts";
import { substituteDependencies, substituteEnvPackages } from "./depsubst.ts";
import type { Config } from "./load.ts";
import { type PipelineFile, pipelineLoader } from "./pipelines.ts";
import { compileSteps } from "./steps.ts";
import { replaceKnownDeep, substitute, type Vars } from "./subst.ts";
import type { CompiledBuild, CompiledEnvironment, CompiledSubpackage } from "./types.ts";
import { checkFields, checkNames } from "./validate.ts";

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
  const ctx: Ctx = { config, load: opts.loader ?? pipelineLoader(opts.pipelineDirs ?? []) };
  const vars = baseVars(config, arch);
  // As melange does when it reads a file, the package's fields and `vars`
  // (and a range subpackage's `range.*`) are first replaced as plain text
  // everywhere in the file; only steps are then substituted strictly.
  const early = parseTimeVars(vars);
  // Build options patch the file after it is read (melange's New), so `early` keeps the file's.
  const patches = applyBuildOptions(d.options, opts.buildOptions ?? [], vars);

  // Every package's output directory, subpackage names as unrolled.
  const unrolled = unrollSubpackages(config, early);
  checkNames(
    ctx,
    String(replaceKnownDeep(d.package.name, early)),
    unrolled.map((u) => ({ name: String(u.sp.name), path: u.path })),
  );
  for (const name of [d.package.name, ...unrolled.map((u) => u.sp.name)]) {
    vars.set(`targets.package.${name}`, `${OUT}/${name}`);
  }

  const needs: string[] = [];
  const pkg = replaceKnownDeep(d.package, early);
  if (pkg.dependencies) {
    pkg.dependencies = substituteDependencies(pkg.dependencies, early, "package.dependencies", ctx);
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
        early,
        `${path}.dependencies`,
        ctx,
      );
    }
    // melange compiles a subpackage's steps, and adds what they need to the
    // build environment, whether or not its condition holds.
    const compiledSteps = compileSteps(steps ?? [], subVars, `${path}.pipeline`, ctx, needs);
    if (sp.if && !decide(sp.if, subVars, `${path}.if`, ctx)) continue;
    const compiled: CompiledSubpackage = { ...rest, name, pipeline: compiledSteps };
    // A subpackage without its own commit has the package's.
    if (compiled.commit === undefined && pkg.commit !== undefined) compiled.commit = pkg.commit;
    if (test) {
      const t = {
        ...test,
        environment: substituteEnvPackages(
          test.environment,
          early,
          `${path}.test.environment`,
          ctx,
        ),
      };
      compiled.test = compileTest(t, subVars, `${path}.test`, ctx, name);
    }
    subpackages.push(compiled);
    subpackagePaths.push(path);
  }
  const environment = compiledEnvironment(
    withPackages(
      substituteEnvPackages(
        replaceKnownDeep(d.environment ?? {}, early),
        early,
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
    t.environment = substituteEnvPackages(t.environment, early, "test.environment", ctx);
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

/** The variables melange replaces when it reads a file: the package's fields and `vars`. */
function parseTimeVars(vars: Vars): Vars {
  const early: Vars = new Map();
  for (const [k, v] of vars) {
    if (k.startsWith("vars.") || PARSE_TIME.has(k)) early.set(k, v);
  }
  return early;
}

const PARSE_TIME = new Set([
  "package.name",
  "package.version",
  "package.description",
  "package.epoch",
  "package.full-version",
]);

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
      const from = substitute(t.from, vars);
      if (from.length > MAX_TRANSFORM_INPUT) {
        throw new Error(
          `from is ${from.length} characters once substituted; transforms take at most ` +
            `${MAX_TRANSFORM_INPUT} (they are meant for versions and names)`,
        );
      }
      vars.set(`vars.${t.to}`, goReplaceAll(from, t.match, t.replace ?? ""));
    } catch (err) {
      fail(config, path, err);
    }
  });
  for (const k of Object.keys(d.options ?? {})) vars.set(`options.${k}.enabled`, "false");
  return vars;
}

/**
 * The longest value a var-transform reads. RE2 is linear, but re2js takes
 * about 0.7 s per MiB on a pattern such as `(a+)+$`: with this limit any
 * transform is decided in milliseconds, and a 4 MB build file in well under
 * 2 s (issue 20). Wolfi's transforms read versions of a few dozen characters.
 */
export const MAX_TRANSFORM_INPUT = 64 * 1024;

/**
 * `vars` may refer to each other in any order: each is substituted once
 * the vars it names are, in dependency order (Kahn's algorithm, so a long
 * chain costs linear time, not a pass per link). A var left over (in a
 * cycle, or naming an undefined variable) is reported with its own error,
 * the first in file order.
 */
function resolveVars(config: Config, vars: Vars): void {
  const pending = new Map<string, string>(Object.entries(config.data.vars ?? {}));
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const ready: string[] = [];
  for (const [k, v] of pending) {
    const deps = new Set(
      [...v.matchAll(/\$\{\{\s*vars\.([A-Za-z0-9._-]+)\s*\}\}/g)].map((m) => m[1])
        .filter((d) => pending.has(d)),
    );
    waitingOn.set(k, deps.size);
    for (const d of deps) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(k);
    if (!deps.size) ready.push(k);
  }
  while (ready.length) {
    const k = ready.pop()!;
    try {
      vars.set(`vars.${k}`, substitute(pending.get(k)!, vars));
    } catch {
      continue; // names an undefined variable: reported below
    }
    pending.delete(k);
    for (const d of dependents.get(k) ?? []) {
      const n = waitingOn.get(d)! - 1;
      waitingOn.set(d, n);
      if (n === 0) ready.push(d);
    }
  }
  const [first] = pending;
  if (!first) return;
  try {
    substitute(first[1], vars);
  } catch (err) {
    fail(config, `vars.${first[0]}`, err);
  }
  fail(config, `vars.${first[0]}`, "refers to itself through other vars");
}

function subpackageVars(name: string): Record<string, string> {
  return {
    "subpkg.name": name,
    "context.name": name,
    "targets.subpkgdir": `${OUT}/${name}`,
    "targets.contextdir": `${OUT}/${name}`,
  };
}

/**
 * Subpackages with melange's read-time replacement applied; a `range:`
 * subpackage once per data item (keys sorted), `range.key` and `range.value`
 * replaced with the rest.
 */
function unrollSubpackages(config: Config, early: Vars) {
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
      const scope = new Map(early);
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
