/** `melange2 env resolve` and `env install`: build environments from APK repositories. */
import type { Command } from "commander";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { hostArch } from "../lib/build/arch.ts";
import { cacheDir } from "../lib/buildkit/identity.ts";
import {
  type EnvironmentSpec,
  installEnvironment,
  resolveEnvironment,
} from "../lib/apk/environment.ts";
import { normalizeArch } from "../lib/config/mod.ts";
import { UserError } from "../lib/errors.ts";
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

function specOf(packages: string[], opts: Record<string, any>): EnvironmentSpec {
  if (!opts.repository?.length) throw new UserError("at least one --repository is needed");
  return {
    repositories: opts.repository,
    keyring: opts.keyring ?? [],
    packages,
    arch: normalizeArch(opts.arch ?? hostArch()),
    allowUntrusted: !!opts.allowUntrusted,
    cacheDir: opts.cache === false ? undefined : opts.cacheDir ?? join(cacheDir(), "apk"),
  };
}

/** Registers `env resolve` and `env install`. */
export function register(program: Command): void {
  const env = program.command("env").description("Build environments from APK repositories");
  withEnvFlags(
    env.command("resolve").description(
      "Print the packages an environment would hold, in install order",
    ),
  )
    .action(action(async (packages: string[], opts: Record<string, any>) => {
      const resolved = await resolveEnvironment(specOf(packages, opts));
      const out = resolved.packages.map((p) => `${p.name}-${p.version}`).join("\n");
      await Deno.stdout.write(new TextEncoder().encode(out + "\n"));
    }));
  withEnvFlags(env.command("install").description("Install an environment into a directory"))
    .requiredOption("--root <dir>", "the directory to install into")
    .action(action(async (packages: string[], opts: Record<string, any>) => {
      const spec = specOf(packages, opts);
      const resolved = await resolveEnvironment(spec);
      mkdirSync(opts.root, { recursive: true });
      await installEnvironment(resolved, opts.root, spec);
      console.error(`installed ${resolved.packages.length} packages into ${opts.root}`);
    }));
}
