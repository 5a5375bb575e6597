/**
 * `melange2 env resolve`, `env install` and `image`: environments and images
 * from APK repositories.
 */
import type { Command } from "commander";
import { action } from "./run.ts";

const list = (v: string, all: string[] = []) => [...all, v];

function withEnvFlags(cmd: Command): Command {
  return cmd
    .argument("<packages...>", "packages (with optional constraints, e.g. busybox>=1.36)")
    .option("-r, --repository <repo>", "repository URL or directory (repeatable)", list)
    .option("-k, --keyring <key>", "public key file or URL (repeatable)", list)
    .option("--arch <arch>", "architecture (default: this machine's)")
    .option("--allow-untrusted", "accept unsigned indexes and packages, or unknown keys")
    .option("--cache-dir <dir>", "cache of indexes and packages (default: ~/.cache/melange2/apk)")
    .option("--no-cache", "do not cache indexes and packages");
}

/** Registers `env resolve`, `env install` and `image`. */
export function register(program: Command): void {
  const env = program.command("env").description("Build environments from APK repositories");
  withEnvFlags(
    env.command("resolve").description(
      "Print the packages an environment would hold, in install order",
    ),
  )
    .action(action(async (packages: string[], opts: Record<string, any>) => {
      const { envResolve } = await import("./env_run.ts");
      await envResolve(packages, opts);
    }));
  withEnvFlags(env.command("install").description("Install an environment into a directory"))
    .requiredOption("--root <dir>", "the directory to install into")
    .action(action(async (packages: string[], opts: Record<string, any>) => {
      const { envInstall } = await import("./env_run.ts");
      await envInstall(packages, opts);
    }));
  withEnvFlags(
    program.command("image").description(
      "Make a minimal OCI image (an OCI layout directory) from APK packages",
    ),
  )
    .requiredOption("-o, --output <dir>", "the OCI layout directory to write")
    .option("--tag <name>", "the image's name in the layout (org.opencontainers.image.ref.name)")
    .option("--entrypoint <arg>", "the entrypoint, one argument per flag", list)
    .option("--cmd <arg>", "the default command, one argument per flag", list)
    .option("--env <KEY=VALUE>", "environment of the image's processes (repeatable)", list)
    .option("--workdir <dir>", "working directory of the image's processes")
    .option("--user <user>", "user of the image's processes")
    .option("--source-date-epoch <seconds>", "every timestamp in the image", "0")
    .action(action(async (packages: string[], opts: Record<string, any>) => {
      const { image } = await import("./env_run.ts");
      await image(packages, opts);
    }));
}
