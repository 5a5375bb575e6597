/** What `melange2 env` and `image` run, loaded when they run (cli/env.ts registers them). */
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
import { buildImage } from "../lib/build/image.ts";

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

/** `env resolve`: prints the packages an environment would hold, in install order. */
export async function envResolve(packages: string[], opts: Record<string, any>): Promise<void> {
  const resolved = await resolveEnvironment(specOf(packages, opts));
  const out = resolved.packages.map((p) => `${p.name}-${p.version}`).join("\n");
  await Deno.stdout.write(new TextEncoder().encode(out + "\n"));
}

/** `env install`: installs an environment into --root. */
export async function envInstall(packages: string[], opts: Record<string, any>): Promise<void> {
  const spec = specOf(packages, opts);
  const resolved = await resolveEnvironment(spec);
  mkdirSync(opts.root, { recursive: true });
  await installEnvironment(resolved, opts.root, spec);
  console.error(`installed ${resolved.packages.length} packages into ${opts.root}`);
}

/** `image`: a minimal OCI image of packages. */
export async function image(packages: string[], opts: Record<string, any>): Promise<void> {
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
}
