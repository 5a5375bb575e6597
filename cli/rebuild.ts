/**
 * `melange2 rebuild APK...`: melange's (experimental, hidden) rebuild. Each
 * package is built again from what it records (its `.melange.yaml`, its
 * `.PKGINFO` build date and architecture, its SBOM's build file package:
 * path, commit, repository, license, namespace), into `--out-dir`, and then
 * compared with the original; any difference fails the command (unless
 * `--diff=false`). A package whose origin was rebuilt already is only
 * compared.
 */
import type { Command } from "commander";
import { addConnectFlags } from "./buildkit_flags.ts";
import { action } from "./run.ts";
import { bool } from "./run_flags.ts";

/** Registers `rebuild`. */
export function register(program: Command): void {
  addConnectFlags(
    program
      .command("rebuild")
      .description("Rebuild packages from the build recorded in them, and compare (experimental)")
      .argument("<apks...>", "the packages"),
  )
    .option(
      "--out-dir <dir>",
      "where the rebuilt packages go, as <out>/<arch>/",
      "./rebuilt-packages/",
    )
    .option("--source-dir <dir>", "directory copied into the workspace", ".")
    .option("--signing-key <key>", "RSA private key that signs the rebuilt packages")
    .option("--diff [bool]", "compare each package with its rebuild; differences fail", bool, true)
    .addOption(
      program.createOption("--progress <mode>", "progress output")
        .choices(["auto", "tty", "plain", "rawjson", "quiet"]).default("auto"),
    )
    .action(action(async (apks: string[], opts: Record<string, any>) => {
      const { rebuildCommand } = await import("./rebuild_run.ts");
      await rebuildCommand(apks, opts);
    }));
}
