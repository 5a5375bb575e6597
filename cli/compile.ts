/** `melange2 compile`: print a melange file fully resolved, as JSON. */
import type { Command } from "commander";
import { hostArch } from "../lib/build/arch.ts";
import { compile, loadConfig } from "../lib/config/mod.ts";
import { action } from "./run.ts";

const list = (v: string, all: string[] = []) => [...all, v];

/** JSON with object keys sorted, so the same input prints the same bytes. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}

/** Registers `compile`. */
export function register(program: Command): void {
  program
    .command("compile")
    .description(
      "Print the fully resolved build (pipelines expanded, variables substituted) as JSON",
    )
    .argument("<file>", "the melange file")
    .option("--arch <arch>", "architecture to compile for (default: this machine's)")
    .option(
      "--pipeline-dir <dir>",
      "directory searched for pipelines before the built-in ones (repeatable)",
      list,
    )
    .option("--vars-file <file>", "YAML file of variables that override the file's vars")
    .option("--env-file <file>", "file of KEY=VALUE lines added to the build environment")
    .action(action(async (file: string, opts: Record<string, any>) => {
      const config = await loadConfig(file, { varsFile: opts.varsFile, envFile: opts.envFile });
      const compiled = await compile(config, {
        arch: opts.arch ?? hostArch(),
        pipelineDirs: opts.pipelineDir ?? [],
      });
      await Deno.stdout.write(new TextEncoder().encode(stableJson(compiled) + "\n"));
    }));
}
