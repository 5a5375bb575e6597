/**
 * The second substitution melange makes outside steps (pkg/config's
 * applySubstitutionsFor*): after the read-time replacement of exact
 * `${{name}}`s, dependencies (runtime, provides, replaces, both priorities)
 * and the packages of the build and test environments are substituted
 * strictly, so `${{ package.full-version }}` (spaces inside) becomes the
 * version and an undefined name is an error. Only the package's fields and
 * `vars` (var-transforms included) are known here, as in melange.
 */
import { type Ctx, fail } from "./context.ts";
import { substitute, type Vars } from "./subst.ts";

const LISTS = ["runtime", "provides", "replaces"] as const;
const PRIORITIES = ["provider-priority", "replaces-priority"] as const;

/** `deps` (a package's or subpackage's `dependencies`) substituted; `path` locates errors. */
// deno-lint-ignore no-explicit-any
export function substituteDependencies(deps: any, vars: Vars, path: string, ctx: Ctx): any {
  if (!deps || typeof deps !== "object") return deps;
  const out = { ...deps };
  for (const kind of LISTS) {
    if (Array.isArray(deps[kind])) {
      out[kind] = deps[kind].map((d: unknown, i: number) =>
        strict(d, vars, `${path}.${kind}[${i}]`, ctx)
      );
    }
  }
  for (const kind of PRIORITIES) {
    if (deps[kind] !== undefined) out[kind] = strict(deps[kind], vars, `${path}.${kind}`, ctx);
  }
  return out;
}

/** `env` (an `environment:`) with its `contents.packages` substituted. */
// deno-lint-ignore no-explicit-any
export function substituteEnvPackages(env: any, vars: Vars, path: string, ctx: Ctx): any {
  const packages = env?.contents?.packages;
  if (!Array.isArray(packages)) return env;
  return {
    ...env,
    contents: {
      ...env.contents,
      packages: packages.map((p: unknown, i: number) =>
        strict(p, vars, `${path}.contents.packages[${i}]`, ctx)
      ),
    },
  };
}

function strict(value: unknown, vars: Vars, path: string, ctx: Ctx): unknown {
  if (typeof value !== "string") return value;
  try {
    return substitute(value, vars);
  } catch (err) {
    fail(ctx.config, path, err);
  }
}
