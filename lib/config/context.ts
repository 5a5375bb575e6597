/**
 * What the compile stages share: the file being compiled, the pipeline
 * loader, and errors that point at the field they are about.
 */
import { UserError } from "../errors.ts";
import type { Config } from "./load.ts";
import type { PipelineFile } from "./pipelines.ts";
import { evaluate, substitute, type Vars } from "./subst.ts";

/** One compile's file and pipeline loader. */
export interface Ctx {
  config: Config;
  load: (name: string) => PipelineFile;
  /** The `uses:` being expanded, outermost first: a name seen again is a cycle. */
  uses?: string[];
}

/** Where a field path is, as `file:line:col: path`, using the nearest known ancestor. */
function where(config: Config, path: string): string {
  let p = path;
  while (p && !config.positions.has(p)) p = p.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
  const pos = config.positions.get(p) ?? { line: 1, col: 1 };
  return `${config.file}:${pos.line}:${pos.col}: ${path}`;
}

/** Throws a UserError located at `path` of the file. */
export function fail(config: Config, path: string, err: unknown): never {
  const msg = err instanceof Error ? err.message : String(err);
  throw new UserError(`${where(config, path)}: ${msg}`);
}

/** Decides an `if:` expression in `vars`. */
export function decide(expr: string, vars: Vars, path: string, ctx: Ctx): boolean {
  let substituted: string;
  try {
    substituted = substitute(expr, vars, true);
  } catch (err) {
    fail(ctx.config, path, err);
  }
  return decideSubstituted(substituted, path, ctx);
}

/** Decides an `if:` expression whose variables are already substituted (quoted). */
export function decideSubstituted(expr: string, path: string, ctx: Ctx): boolean {
  try {
    return evaluate(expr);
  } catch (err) {
    fail(ctx.config, path, err);
  }
}
