/**
 * Finding the pipeline a `uses:` names: `<dir>/<name>.yaml` in each
 * `--pipeline-dir` in order, then the built-in library. Parsed files are
 * validated once and kept per compile.
 */
import { UserError } from "../errors.ts";
import { builtinPipeline } from "../pipelines/mod.ts";
import { problemsMessage } from "./load.ts";
import { readInputText } from "./readtext.ts";
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

/**
 * The names in a directory, or none when it is missing: a pipeline is
 * looked for in every --pipeline-dir before the built-in library, and a
 * failed stat per miss (an exception each) cost more than one listing.
 */
function listing(cache: Map<string, Set<string>>, dir: string): Set<string> {
  let names = cache.get(dir);
  if (names) return names;
  names = new Set();
  try {
    for (const e of Deno.readDirSync(dir)) names.add(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory)) {
      throw new UserError(`reading pipeline directory ${dir}: ${(err as Error).message}`);
    }
  }
  cache.set(dir, names);
  return names;
}

/** Loads pipelines by name, remembering what it loaded. */
export function pipelineLoader(dirs: string[]): (name: string) => PipelineFile {
  const cache = new Map<string, PipelineFile>();
  const listings = new Map<string, Set<string>>();
  return (name) => {
    const hit = cache.get(name);
    if (hit) return hit;
    if (name.startsWith("/") || name.split("/").includes("..")) {
      throw new UserError(`invalid pipeline name "${name}": must not be absolute or contain ".."`);
    }
    let text: string | undefined;
    let source = "";
    for (const dir of dirs) {
      // As path.join would: "" is the current directory, "/" the root.
      const file = dir === "" ? `${name}.yaml` : `${dir.replace(/\/+$/, "")}/${name}.yaml`;
      const slash = file.lastIndexOf("/");
      const parent = slash < 0 ? "." : slash === 0 ? "/" : file.slice(0, slash);
      if (!listing(listings, parent).has(file.slice(slash + 1))) continue;
      // A regular file of a bounded size, in UTF-8, like every other input.
      text = readInputText(file, "pipeline ");
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
