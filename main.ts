/**
 * melange2: build APK packages from melange build files on BuildKit.
 *
 * This file only assembles the command table; every command lives in cli/
 * and does its work through lib/. Session commands may start again with
 * V8 flags first (cli/v8flags.ts), so the CLI parser is loaded after that.
 */
import type { Command } from "commander";
import { VERSION } from "./cli/version.ts";
import { registerFor } from "./cli/mod.ts";
import { useCommander } from "./cli/commander.ts";
import { compileFast } from "./cli/compile.ts";
import { hasColors, report } from "./cli/run.ts";
import { relaunchWithV8Flags } from "./cli/v8flags.ts";

/** Builds the root command with the subcommands `args` needs (all of them for help). */
export async function program(args: string[] = []): Promise<Command> {
  const commander = await import("commander");
  useCommander(commander);
  const { Command, InvalidArgumentError, Option } = commander;
  const logLevel = (value: string) => {
    const level = parseLogLevel(value);
    if (!level) {
      throw new InvalidArgumentError(
        "expected debug, info, warn or error (any case, as melange's)",
      );
    }
    return level;
  };
  const root = new Command("melange2")
    .description("Build APK packages from melange build files on BuildKit")
    .version(VERSION)
    .addOption(
      new Option("--log-level <level>", "least severe messages shown: debug, info, warn, error")
        .argParser(logLevel).default("info"),
    )
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      // commander's own check reads the environment, which `--help` must not need.
      getOutHasColors: () => hasColors(Deno.stdout),
      getErrHasColors: () => hasColors(Deno.stderr),
    })
    .exitOverride();
  registerFor(root, args);
  hintAfterErrors(root, "melange2");
  return root;
}

/** melange's --log-level (Go's slog level names, in any case); undefined for anything else. */
export function parseLogLevel(value: string): string | undefined {
  const level = value.toLowerCase();
  return ["debug", "info", "warn", "error"].includes(level) ? level : undefined;
}

/** After a usage error, one line naming the command's help, as melange does (not the help). */
function hintAfterErrors(cmd: Command, path: string): void {
  cmd.showHelpAfterError(`Run '${path} --help' for usage.`);
  for (const sub of cmd.commands) hintAfterErrors(sub, `${path} ${sub.name()}`);
}

if (import.meta.main) {
  relaunchWithV8Flags(Deno.args);
  // A plain `compile` starts without the command-line library.
  if (Deno.args[0] === "compile") {
    const code = await compileFast(Deno.args.slice(1));
    if (code !== false) Deno.exit(code);
  }
  try {
    await (await program(Deno.args)).parseAsync(Deno.args, { from: "user" });
  } catch (err) {
    const { CommanderError } = await import("commander");
    if (err instanceof CommanderError) Deno.exit(err.exitCode);
    Deno.exit(report(err));
  }
}
