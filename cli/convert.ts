/**
 * `melange2 convert`: melange v0.59.1 has no `convert` any more (it was
 * removed upstream, chainguard-dev/melange#2117), and what it did (turn an
 * APKBUILD, a Ruby gem or a Python package from its registry into a
 * melange file) fetched everything from the network. The command is here
 * so a script that calls it fails with that explanation, not "unknown
 * command".
 */
import type { Command } from "commander";
import { UserError } from "../lib/errors.ts";
import { action } from "./run.ts";

/** The explanation `convert` fails with. */
export const CONVERT_GONE = "convert is not available: melange itself removed it (v0.59.1 has no " +
  "convert command), and its subcommands (apkbuild, gem, python) only read from the network " +
  "(APKBUILD URLs, RubyGems, PyPI). Write the melange file by hand, starting from " +
  "`melange2 query` or one of the files in examples/";

/** Registers `convert`. */
export function register(program: Command): void {
  program
    .command("convert")
    .description("Not available: melange removed convert (it fetched from the network)")
    .argument("[args...]", "anything (ignored)")
    .allowUnknownOption()
    .helpOption(false)
    .action(action(() => {
      throw new UserError(CONVERT_GONE);
    }));
}
