/**
 * `melange2 bump FILE VERSION`: melange's bump. The file's package.version
 * becomes VERSION (quoted, as melange writes it) and its epoch 0, or the
 * epoch goes up by one when the version is the same; the main pipeline's
 * `fetch` steps get the new source's expected-sha256/512 (downloaded, so
 * this part needs the source to be reachable) and `git-checkout` steps the
 * --expected-commit. Comments and layout are kept.
 */
import type { Command } from "commander";
import { action } from "./run.ts";

/** Registers `bump`. */
export function register(program: Command): void {
  program
    .command("bump")
    .description(
      "Set a build file's package version (epoch 0, or +1 if unchanged), as melange does",
    )
    .argument("<file>", "the melange file")
    .argument("<version>", "the new version")
    .option("--expected-commit <hash>", "new expected-commit of the git-checkout steps")
    .action(action(async (file: string, version: string, opts: { expectedCommit?: string }) => {
      const { bumpCommand } = await import("./bump_run.ts");
      await bumpCommand(file, version, opts);
    }));
}
