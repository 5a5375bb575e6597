/**
 * `melange2 compile`: print melange files fully resolved, as JSON. Many
 * files (and directories of them) compile in one process, sharing the
 * pipelines they load; one JSON document per file, on standard output or
 * into `--out-dir`.
 */
import type { Command } from "commander";
import { hostArch } from "../lib/build/arch.ts";
// Not lib/config/mod.ts, which loads the regexp engine whether or not a file needs it.
import { compileSync } from "../lib/config/compile.ts";
import { loadGoRegexp } from "../lib/config/goregexp.ts";
import { loadConfigSync } from "../lib/config/load.ts";
import { pipelineLoader } from "../lib/config/pipelines.ts";
import { UserError } from "../lib/errors.ts";
import { action, report } from "./run.ts";

const list = (v: string, all: string[] = []) => [...all, v];

/** JSON with object keys sorted, so the same input prints the same bytes. */
export function stableJson(value: unknown, indent = 2): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = sort((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value), null, indent);
}

/**
 * The files `paths` name: a directory stands for its `*.yaml` files, sorted,
 * as the shell's glob has them (hidden files, such as wolfi-os's
 * `.yam.yaml` formatter settings, are not build files).
 */
export function expandPaths(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(p);
    } catch {
      throw new UserError(`${p}: no such file or directory`);
    }
    if (!info.isDirectory) {
      out.push(p);
      continue;
    }
    const names: string[] = [];
    for (const e of Deno.readDirSync(p)) {
      if (e.name.endsWith(".yaml") && !e.name.startsWith(".") && (e.isFile || e.isSymlink)) {
        names.push(e.name);
      }
    }
    if (!names.length) throw new UserError(`${p}: no .yaml files in this directory`);
    for (const n of names.sort()) out.push(`${p.replace(/\/+$/, "")}/${n}`);
  }
  return out;
}

/** The name of a file's document in `--out-dir`: its base name, `.json` for `.yaml`. */
function outName(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1).replace(/\.ya?ml$/, "") + ".json";
}

/** Options of {@link compileFiles}. */
export interface CompileFilesOptions {
  arch: string;
  pipelineDirs: string[];
  varsFile?: string;
  envFile?: string;
  /** `json` (indented documents one after another) or `jsonl` (one line each). */
  format: "json" | "jsonl";
}

/**
 * Compiles every file; each one's document, in order. All of them or none:
 * the errors of every file that fails are one UserError.
 */
export async function compileFiles(
  files: string[],
  opts: CompileFilesOptions,
): Promise<string[]> {
  // One loader for the run: every file reads the same pipeline files.
  const loader = pipelineLoader(opts.pipelineDirs);
  const docs: string[] = [];
  const errors: string[] = [];
  for (const file of files) {
    try {
      const config = loadConfigSync(file, { varsFile: opts.varsFile, envFile: opts.envFile });
      if (config.data["var-transforms"]?.length) await loadGoRegexp();
      const compiled = compileSync(config, { arch: opts.arch, loader });
      docs.push(stableJson(compiled, opts.format === "jsonl" ? 0 : 2) + "\n");
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      errors.push(err.message);
    }
  }
  if (errors.length) {
    const head = files.length > 1 ? `${errors.length} of ${files.length} files failed:\n` : "";
    throw new UserError(head + errors.join("\n"));
  }
  return docs;
}

/** `compile`'s options, as parsed from its command line. */
interface CompileArgs {
  paths: string[];
  arch?: string;
  pipelineDir?: string[];
  varsFile?: string;
  envFile?: string;
  outputFormat: string;
  outDir?: string;
}

const VALUE_FLAGS: Record<string, keyof CompileArgs> = {
  "--arch": "arch",
  "--pipeline-dir": "pipelineDir",
  "--vars-file": "varsFile",
  "--env-file": "envFile",
  "--output-format": "outputFormat",
  "--out-dir": "outDir",
};

/**
 * `compile`'s arguments when they are plain (paths, and the options above
 * each with its value, as `--flag value` or `--flag=value`); undefined for
 * anything else (help, an unknown option, a missing value), which is left
 * to the command-line library and its messages.
 */
export function plainCompileArgs(args: string[]): CompileArgs | undefined {
  const out: CompileArgs = { paths: [], outputFormat: "json" };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("-")) {
      out.paths.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const flag = eq < 0 ? a : a.slice(0, eq);
    const key = VALUE_FLAGS[flag];
    if (!key) return undefined;
    const value = eq < 0 ? args[++i] : a.slice(eq + 1);
    if (value === undefined || (eq < 0 && value.startsWith("-"))) return undefined;
    if (key === "pipelineDir") (out.pipelineDir ??= []).push(value);
    else (out as unknown as Record<string, string>)[key] = value;
  }
  return out.paths.length ? out : undefined;
}

/** Runs `compile` with parsed options. */
async function runCompile(opts: CompileArgs): Promise<void> {
  const format = opts.outputFormat;
  if (format !== "json" && format !== "jsonl") {
    throw new UserError(`--output-format: expected json or jsonl, got "${format}"`);
  }
  const files = expandPaths(opts.paths);
  const names = files.map(outName);
  if (opts.outDir) {
    const seen = new Map<string, string>();
    files.forEach((f, i) => {
      const other = seen.get(names[i]);
      if (other) throw new UserError(`--out-dir: ${other} and ${f} would both be ${names[i]}`);
      seen.set(names[i], f);
    });
  }
  const docs = await compileFiles(files, {
    arch: opts.arch ?? hostArch(),
    pipelineDirs: opts.pipelineDir ?? [],
    varsFile: opts.varsFile,
    envFile: opts.envFile,
    format,
  });
  if (opts.outDir) {
    Deno.mkdirSync(opts.outDir, { recursive: true });
    docs.forEach((d, i) => Deno.writeTextFileSync(`${opts.outDir}/${names[i]}`, d));
    return;
  }
  const text = new TextEncoder().encode(docs.join(""));
  for (let off = 0; off < text.length;) off += Deno.stdout.writeSync(text.subarray(off));
}

/**
 * `melange2 compile` without the command-line library (its start-up is most
 * of a one-file compile's time): returns false, having done nothing, when
 * the arguments are not plain; otherwise compiles and returns the exit code.
 */
export async function compileFast(args: string[]): Promise<number | false> {
  const opts = plainCompileArgs(args);
  if (!opts) return false;
  try {
    await runCompile(opts);
    return 0;
  } catch (err) {
    return report(err);
  }
}

/** Registers `compile`. */
export function register(program: Command): void {
  program
    .command("compile")
    .description(
      "Print each file's fully resolved build (pipelines expanded, variables substituted) as JSON",
    )
    .argument("<paths...>", "melange files, or directories of them (their *.yaml files)")
    .option("--arch <arch>", "architecture to compile for (default: this machine's)")
    .option(
      "--pipeline-dir <dir>",
      "directory searched for pipelines before the built-in ones (repeatable)",
      list,
    )
    .option("--vars-file <file>", "YAML file of variables that override the file's vars")
    .option("--env-file <file>", "file of KEY=VALUE lines added to the build environment")
    .option("--output-format <format>", "json (indented) or jsonl (one line per file)", "json")
    .option("--out-dir <dir>", "write NAME.json for each NAME.yaml here instead of printing")
    .action(action(async (paths: string[], opts: Record<string, any>) => {
      await runCompile({ ...opts, paths } as CompileArgs);
    }));
}
