/**
 * melange2: build APK packages from melange build files on BuildKit.
 *
 * This file only assembles the command table; every command lives in cli/
 * and does its work through lib/.
 */
import { Command, CommanderError } from "commander";
import { groups } from "./cli/mod.ts";
import { report } from "./cli/run.ts";

/** Builds the root command with every subcommand registered. */
export function program(): Command {
  const root = new Command("melange2")
    .description("Build APK packages from melange build files on BuildKit")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  for (const register of groups) register(root);
  return root;
}

if (import.meta.main) {
  try {
    await program().parseAsync(Deno.args, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) Deno.exit(err.exitCode);
    Deno.exit(report(err));
  }
}
