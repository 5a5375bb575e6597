/** `melange2 lint`: melange's package linters on .apk files. */
import type { Command } from "commander";
import { defaultRequired, defaultWarn } from "../lib/lint/linters.ts";
import { action } from "./run.ts";

const list = (v: string, all: string[] = []) => [...all, ...v.split(",").filter(Boolean)];

/** Registers `lint`. */
export function register(program: Command): void {
  program
    .command("lint")
    .description("Check APK packages with melange's linters (required ones fail)")
    .argument("<files...>", "the packages")
    .option(
      "--lint-require <linters>",
      `linters that must pass (default: ${defaultRequired().join(",")})`,
      list,
    )
    .option(
      "--lint-warn <linters>",
      `linters that only warn (default: ${defaultWarn().join(",")})`,
      list,
    )
    .option("--persist-lint-results", "keep findings as JSON in <out-dir>/<arch>/")
    .option("--out-dir <dir>", "where --persist-lint-results writes", "packages")
    .action(action(async (files: string[], opts: Record<string, any>) => {
      const { lintCommand } = await import("./lint_run.ts");
      await lintCommand(files, opts);
    }));
}
