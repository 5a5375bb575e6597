/**
 * What `melange2 serve` starts with: the backends named by its flags and
 * the settings of its pool, checked as the many-file build checks its own.
 */
import { UserError } from "../errors.ts";
import {
  type Backend,
  checkBackends,
  parseBackend,
  POOL_DEFAULTS,
  type PoolConfig,
  readBackendsFile,
} from "../distro/backends.ts";

/**
 * The backends named at start (--backends FILE, then each --buildkit-addr
 * with the TLS flags and --max-jobs) and the pool's settings (the file's,
 * else Go melange2's defaults).
 */
export function startupPool(opts: Record<string, any>): PoolConfig {
  const file = opts.backends === undefined ? undefined : readBackendsFile(opts.backends);
  const addrs: string[] = opts.buildkitAddr ?? [];
  if (opts.maxJobs !== undefined && !addrs.length) {
    throw new UserError(
      "--max-jobs is for --buildkit-addr daemons: --backends sets maxJobs per backend",
    );
  }
  const tlsFlags = ["tlscacert", "tlscert", "tlskey", "tlsservername"];
  const tlsGiven = tlsFlags.filter((f) => opts[f] !== undefined);
  if (tlsGiven.length && !addrs.length) {
    throw new UserError(
      `--${tlsGiven[0]} is for --buildkit-addr daemons: a backends file sets TLS per backend`,
    );
  }
  const maxJobs = opts.maxJobs === undefined ? 0 : Number(opts.maxJobs);
  if (opts.maxJobs !== undefined && !(Number.isInteger(maxJobs) && maxJobs >= 1)) {
    throw new UserError(`--max-jobs ${opts.maxJobs}: expected a whole number >= 1`);
  }
  const fromAddrs = addrs.map((addr) =>
    parseBackend(
      {
        addr,
        arch: "*",
        maxJobs,
        tlscacert: opts.tlscacert,
        tlscert: opts.tlscert,
        tlskey: opts.tlskey,
        tlsservername: opts.tlsservername,
      },
      `--buildkit-addr ${addr}`,
      Deno.cwd(),
    )
  );
  const backends: Backend[] = [...(file?.backends ?? []), ...fromAddrs];
  if (backends.length) checkBackends(backends, "--backends and --buildkit-addr");
  return { ...POOL_DEFAULTS, ...file, backends };
}
