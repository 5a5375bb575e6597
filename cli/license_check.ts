/**
 * `melange2 license-check PATH`: melange's license check, offline. PATH is
 * a source tree, or a build file or package whose sources are already in
 * `--workdir` (melange fetches them there first; melange2 fetches nothing).
 */
import type { Command } from "commander";
import { action } from "./run.ts";

/** Registers `license-check`. */
export function register(program: Command): void {
  program
    .command("license-check")
    .description("Find the licenses of a source tree and check them against the build file")
    .argument("<path>", "a source tree, or a build file (.yaml) or package (.apk) with --workdir")
    .option(
      "--workdir <dir>",
      "the sources of the build file or package, already extracted (melange2 fetches nothing)",
    )
    .option("--fix", "rewrite the build file's package.copyright from what was found")
    .addOption(
      program.createOption(
        "--format <format>",
        "--fix's copyright: flat (one entry per file) or simple",
      )
        .choices(["flat", "simple"]).default("flat"),
    )
    .addOption(
      program.createOption("--scan-type <type>", "shallow (top directory and one level) or deep")
        .choices(["shallow", "deep"]).default("shallow"),
    )
    .action(action(async (path: string, opts: Record<string, any>) => {
      const { licenseCheck } = await import("./license_check_run.ts");
      await licenseCheck(path, opts);
    }));
}
