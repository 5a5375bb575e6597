/**
 * `melange2 env resolve`, `env install` and `image`: environments and images
 * from APK repositories.
 */
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
import { buildImage } from "../lib/build/image.ts";

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

/** Registers `env resolve`, `env install` and `image`. */
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
      const env: Record<string, string> = {};
      for (const kv of opts.env ?? []) {
        const eq = kv.indexOf("=");
        if (eq <= 0) throw new UserError(`--env ${kv}: expected KEY=VALUE`);
        env[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      if (!/^\d+$/.test(opts.sourceDateEpoch)) {
        throw new UserError(`--source-date-epoch ${opts.sourceDateEpoch}: expected seconds`);
      }
      const result = await buildImage({
        environment: specOf(packages, opts),
        output: opts.output,
        tag: opts.tag,
        entrypoint: opts.entrypoint,
        cmd: opts.cmd,
        env,
        workingDir: opts.workdir,
        user: opts.user,
        sourceDateEpoch: Number(opts.sourceDateEpoch),
        log: (line) => console.error(line),
      });
      console.error(`wrote ${result.layout}: ${result.packages.length} packages`);
      await Deno.stdout.write(new TextEncoder().encode(`${result.digest}\n`));
    }));
}
