/** `melange2 build` of several files or a directory: the pool from the flags, then lib/distro. */
import { Interrupted, UserError } from "../lib/errors.ts";
import type { BuildOptions } from "../lib/build/build.ts";
import { parseArchs } from "../lib/build/archs.ts";
import { ensureDaemon } from "../lib/build/daemon.ts";
import { type PoolConfig, poolFromAddrs, readBackendsFile } from "../lib/distro/backends.ts";
import { buildMany } from "../lib/distro/run.ts";
import type { BaseBuildOptions } from "../lib/distro/runner.ts";

/** Flags a many-file build cannot honour: each names one file's build. */
const ONE_FILE_ONLY: [string, string][] = [
  ["dumpLlb", "--dump-llb"],
  ["dumpLlbRecipe", "--dump-llb-recipe"],
  ["workspaceDir", "--workspace-dir"],
  ["sourceDir", "--source-dir"],
];

/** Builds the files and directories `paths` in dependency order on the pool the flags name. */
export async function buildManyCommand(
  paths: string[],
  opts: Record<string, any>,
  options: BuildOptions,
  signal: AbortSignal,
): Promise<void> {
  if (!paths.length) {
    throw new UserError(
      "--backends and several --buildkit-addr build many files: name them, or a directory",
    );
  }
  for (const [key, flag] of ONE_FILE_ONLY) {
    if (opts[key] !== undefined) {
      throw new UserError(
        `${flag} names one file's build: give it one file, not ${
          paths.length > 1 ? "several" : "a directory"
        }`,
      );
    }
  }
  const pool = await poolOf(opts);
  const {
    configFile: _f,
    archs: _a,
    connect: _c,
    signal: _s,
    log: _l,
    warn: _w,
    progress: _p,
    newProgress: _n,
    ...base
  } = options;
  const mode = opts.progress === "quiet"
    ? "quiet"
    : (opts.progress === "tty" || (opts.progress === "auto" && Deno.stderr.isTerminal()))
    ? "tty"
    : "plain";
  const result = await buildMany({
    paths,
    archs: parseArchs(opts.arch),
    pool,
    base: base as BaseBuildOptions,
    bootstrapRepositories: opts.bootstrapRepository,
    keepGoing: opts.keepGoing,
    signal,
    display: {
      mode,
      write: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
      columns: mode === "tty" ? Deno.consoleSize().columns : undefined,
    },
  });
  console.error(result.table);
  if (signal.aborted) throw new Interrupted("interrupted: running builds were cancelled");
  const failed = result.results.filter((r) => r.status === "failed").map((r) => r.name);
  const skipped = result.results.filter((r) => r.status === "skipped").length;
  if (failed.length || skipped) {
    throw new UserError(
      `${failed.length} package(s) failed${failed.length ? ` (${failed.join(", ")})` : ""}, ` +
        `${skipped} skipped; logs in ${options.outDir}/logs/`,
    );
  }
}

/** The pool: --backends FILE, else every --buildkit-addr (else the default daemon). */
async function poolOf(opts: Record<string, any>): Promise<PoolConfig> {
  const tls = {
    tlsCaCert: opts.tlscacert,
    tlsCert: opts.tlscert,
    tlsKey: opts.tlskey,
    tlsServerName: opts.tlsservername,
  };
  if (opts.backends !== undefined) {
    if (opts.buildkitAddr?.length) {
      throw new UserError("--backends and --buildkit-addr both name the daemons: give one of them");
    }
    if (opts.maxJobs !== undefined) {
      throw new UserError(
        "--max-jobs is for --buildkit-addr daemons: --backends sets maxJobs per backend",
      );
    }
    return readBackendsFile(opts.backends);
  }
  const addrs: string[] = opts.buildkitAddr?.length
    ? opts.buildkitAddr
    : [(await ensureDaemon(Deno.env.get("BUILDKIT_HOST"))).addr];
  const hasTls = Object.values(tls).some((v) => v !== undefined);
  return poolFromAddrs(addrs, hasTls ? tls : undefined, opts.maxJobs ?? 0);
}
