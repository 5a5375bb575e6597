/** `melange2 version` and `melange2 completion`: about the program itself. */
import type { Command } from "commander";
import { completionScript, type Shell, SHELLS } from "./completion.ts";
import { action } from "./run.ts";

import { VERSION } from "./version.ts";

export { VERSION };

/** What `version` prints: melange2's version and what it runs on. */
export function versionInfo(): Record<string, string> {
  return {
    version: VERSION,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    platform: `${Deno.build.os}/${Deno.build.arch}`,
  };
}

/** Registers `version` and `completion`. */
export function register(program: Command): void {
  program
    .command("version")
    .description("Print the version of melange2 and of the runtime")
    .option("--json", "print JSON")
    .action(action((opts: { json?: boolean }) => {
      const info = versionInfo();
      if (opts.json) return console.log(JSON.stringify(info, null, 2));
      console.log(`melange2 ${info.version}`);
      for (const key of ["deno", "v8", "typescript", "platform"]) {
        console.log(`${`${key}:`.padEnd(12)}${info[key]}`);
      }
    }));

  program
    .command("completion")
    .description("Print a shell completion script (bash, zsh or fish)")
    .addArgument(program.createArgument("[shell]", "the shell").choices(SHELLS).default("bash"))
    .addHelpText(
      "after",
      "\nLoad it with:\n  bash: source <(melange2 completion bash)\n  zsh:  source <(melange2 completion zsh)\n  fish: melange2 completion fish | source",
    )
    .action(action(async (shell: Shell) => {
      // The whole command table, not only the group this run loaded.
      const { program: full } = await import("../main.ts");
      await Deno.stdout.write(new TextEncoder().encode(completionScript(await full([]), shell)));
    }));
}
