/**
 * `melange2 compile`: print melange files fully resolved, as JSON. Many
 * files (and directories of them) compile in one process, sharing the
 * pipelines they load; one JSON document per file, on standard output or
 * into `--out-dir`. The work is in cli/compile_run.ts, loaded when it runs.
 */
import type { Command } from "commander";
import { action, report } from "./run.ts";

const list = (v: string, all: string[] = []) => [...all, v];

/** `compile`'s options, as parsed from its command line. */
export interface CompileArgs {
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

/**
 * `melange2 compile` without the command-line library (its start-up is most
 * of a one-file compile's time): returns false, having done nothing, when
 * the arguments are not plain; otherwise compiles and returns the exit code.
 */
export async function compileFast(args: string[]): Promise<number | false> {
  const opts = plainCompileArgs(args);
  if (!opts) return false;
  try {
    const { runCompile } = await import("./compile_run.ts");
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
      const { runCompile } = await import("./compile_run.ts");
      await runCompile({ ...opts, paths } as CompileArgs);
    }));
}
