/**
 * Finding the pipeline a `uses:` names: `<dir>/<name>.yaml` in each
 * `--pipeline-dir` in order, then the built-in library. Parsed files are
 * validated once and kept per compile.
 */
import { UserError } from "../errors.ts";
import { builtinPipeline } from "../pipelines/mod.ts";
import { problemsMessage } from "./load.ts";
import { pipelineFileSpec } from "./melange_schema.ts";
import { validate } from "./schema.ts";
import { parseYaml } from "./yaml.ts";

/** A pipeline file, validated. */
export interface PipelineFile {
  /** Where it came from (a path, or `builtin:<name>`). */
  source: string;
  // deno-lint-ignore no-explicit-any
  data: any;
}

// Parsing dominates compiling (the same few pipelines are used by every
// file), so validated pipelines are remembered by their exact text and
// source: a pure function's results, never stale. The data is only read.
const PARSED = new Map<string, unknown>();
const PARSED_MAX = 1000;

// deno-lint-ignore no-explicit-any
function parsed(text: string, source: string): any {
  const key = `${source}\0${text}`;
  if (PARSED.has(key)) return PARSED.get(key);
  const v = validate(parseYaml(text, source), pipelineFileSpec);
  if (v.problems.length) throw new UserError(problemsMessage(source, v.problems));
  if (PARSED.size >= PARSED_MAX) PARSED.clear();
  PARSED.set(key, v.value ?? {});
  return v.value ?? {};
}

/** Loads pipelines by name, remembering what it loaded. */
export function pipelineLoader(dirs: string[]): (name: string) => PipelineFile {
  const cache = new Map<string, PipelineFile>();
  return (name) => {
    const hit = cache.get(name);
    if (hit) return hit;
    if (name.startsWith("/") || name.split("/").includes("..")) {
      throw new UserError(`invalid pipeline name "${name}": must not be absolute or contain ".."`);
    }
    let text: string | undefined;
    let source = "";
    for (const dir of dirs) {
      const file = `${dir.replace(/\/+$/, "")}/${name}.yaml`;
      try {
        text = Deno.readTextFileSync(file);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
          continue;
        }
        throw new UserError(`reading pipeline ${file}: ${(err as Error).message}`);
      }
      source = file;
      break;
    }
    if (text === undefined) {
      text = builtinPipeline(name);
      source = `builtin:${name}`;
    }
    if (text === undefined) {
      const where = dirs.length ? ` in ${dirs.join(", ")} or` : "";
      throw new UserError(`no pipeline "${name}"${where} among the built-in pipelines`);
    }
    const file = { source, data: parsed(text, source) };
    cache.set(name, file);
    return file;
  };
}
