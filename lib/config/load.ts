/**
 * Loading a melange file: read, parse, validate against the schema, and
 * apply `--vars-file` and `--env-file`. The result keeps where every field
 * was, so later stages can point at the line of a problem.
 */
import { UserError } from "../errors.ts";
import { parseEnvFile } from "./envfile.ts";
import { configSpec } from "./melange_schema.ts";
import { type Problem, S, validate } from "./schema.ts";
import { parseYaml, type Pos } from "./yaml.ts";

/** A loaded melange file (not yet compiled for an architecture). */
export interface Config {
  file: string;
  /** The validated document, keys as in YAML. */
  // deno-lint-ignore no-explicit-any
  data: any;
  /** Where each field path (`pipeline[2].runs`) starts. */
  positions: Map<string, Pos>;
}

/** Options of {@link loadConfig}. */
export interface LoadOptions {
  /** YAML map of variables that override `vars`. */
  varsFile?: string;
  /** KEY=VALUE lines added to `environment.environment` (the file's own values win). */
  envFile?: string;
}

// Deno's own file API: node:fs would cost every `melange2 compile` tens of
// milliseconds of start-up.
function read(file: string, what: string): string {
  try {
    return Deno.readTextFileSync(file);
  } catch (err) {
    const msg = err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message;
    throw new UserError(`${what}${file}: ${msg}`);
  }
}

/** Formats validation problems as one message (at most 10 listed). */
export function problemsMessage(file: string, problems: Problem[]): string {
  const lines = problems.slice(0, 10).map((p) =>
    `${file}:${p.pos.line}:${p.pos.col}: ${p.path || "(document)"}: ${p.message}`
  );
  if (problems.length > 10) lines.push(`(and ${problems.length - 10} more)`);
  return lines.join("\n");
}

/** Reads, parses and validates a melange file. */
export function loadConfig(file: string, opts: LoadOptions = {}): Promise<Config> {
  return Promise.resolve(loadConfigSync(file, opts));
}

/** {@link loadConfig}, synchronously. */
export function loadConfigSync(file: string, opts: LoadOptions = {}): Config {
  return loadConfigText(read(file, ""), file, opts);
}

/** Parses and validates melange YAML text that came from `file`. */
export function loadConfigText(text: string, file: string, opts: LoadOptions = {}): Config {
  const tree = parseYaml(text, file);
  if (tree.kind !== "map") {
    throw new UserError(
      `${file}:${tree.pos.line}:${tree.pos.col}: expected a melange build file (a mapping with package:)`,
    );
  }
  const v = validate(tree, configSpec);
  if (v.problems.length) throw new UserError(problemsMessage(file, v.problems));
  const data = v.value;
  if (opts.varsFile) {
    const vt = parseYaml(read(opts.varsFile, "--vars-file "), opts.varsFile);
    const vv = validate(vt, S.map(S.str));
    if (vv.problems.length) throw new UserError(problemsMessage(opts.varsFile, vv.problems));
    data.vars = { ...data.vars, ...vv.value };
  }
  if (opts.envFile) {
    const env = parseEnvFile(read(opts.envFile, "--env-file "), opts.envFile);
    data.environment ??= {};
    data.environment.environment = { ...env, ...data.environment.environment };
  }
  return { file, data, positions: v.positions };
}
