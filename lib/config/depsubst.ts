/**
 * The second substitution melange makes outside steps (pkg/config's
 * applySubstitutionsFor*): after the read-time replacement of exact
 * `${{name}}`s, dependencies (runtime, provides, replaces, both priorities)
 * and the packages of the build and test environments are substituted
 * strictly, so `${{ package.full-version }}` (spaces inside) becomes the
 * version and an undefined name is an error. Only the package's fields and
 * `vars` are known here, as in melange, and the var-transforms only for
 * runtime, provides and packages (melange's pass over replaces and the
 * priorities has none).
 */
import { type Ctx, fail } from "./context.ts";
import { substitute, type Vars } from "./subst.ts";
import type { FileVars } from "./vars.ts";

const LISTS = ["runtime", "provides", "replaces"] as const;
const PRIORITIES = ["provider-priority", "replaces-priority"] as const;

/** What {@link substituteDependencies} needs of the file's variables. */
export type DepVars = Pick<FileVars, "later" | "laterPlain">;

/**
 * `deps` (a package's or subpackage's `dependencies`) substituted; `path`
 * locates errors. A subpackage's priorities stay as read: melange
 * substitutes them into a copy of the subpackage (a Go range variable) and
 * then requires the original to be a number, so anything left to
 * substitute there is refused.
 */
export function substituteDependencies(
  // deno-lint-ignore no-explicit-any
  deps: any,
  vars: DepVars,
  path: string,
  ctx: Ctx,
  subpackage = false,
  // deno-lint-ignore no-explicit-any
): any {
  if (!deps || typeof deps !== "object") return deps;
  const out = { ...deps };
  for (const kind of LISTS) {
    const known = kind === "replaces" ? vars.laterPlain : vars.later;
    if (Array.isArray(deps[kind])) {
      out[kind] = deps[kind].map((d: unknown, i: number) =>
        strict(d, known, `${path}.${kind}[${i}]`, ctx)
      );
    }
  }
  for (const kind of PRIORITIES) {
    const v = deps[kind];
    if (v === undefined) continue;
    if (!subpackage) out[kind] = strict(v, vars.laterPlain, `${path}.${kind}`, ctx);
    else if (String(v).includes("${{")) {
      fail(
        ctx.config,
        `${path}.${kind}`,
        `"${v}" is not substituted in a subpackage (melange keeps it as written and wants ` +
          `a number): write a number or \${{vars.name}} without spaces inside the braces`,
      );
    }
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
