/**
 * The architectures one `build` or `test` runs for, each with its compiled
 * file, and running them side by side as melange does (an errgroup: the
 * first failure cancels the others and is the error).
 */
import type { CompiledBuild } from "../config/mod.ts";
import { Client } from "../buildkit/mod.ts";
import type { ProgressMode } from "../buildkit/progress.ts";
import { UserError } from "../errors.ts";
import { hostArch } from "./arch.ts";
import { checkRunnable, parseArchs, repositoriesServe, workerArchs } from "./archs.ts";
import { ensureDaemon } from "./daemon.ts";
import { compiledPerArch, type RunOptions } from "./plan.ts";

/** What {@link selectArchs} needs beyond the run's options. */
export interface SelectOptions {
  /** Only the graph is wanted (no daemon): the default is this machine's architecture. */
  noDaemon?: boolean;
  /** Repositories the environment has besides the file's (the out directory of a test). */
  extraRepositories?: string[];
}

/**
 * The architectures to run, compiled: those `--arch` names (melange's
 * spellings), or by default every one the daemon runs and the environment's
 * repositories have; either way only those the file's `target-architecture`
 * allows. An architecture asked for by name that the daemon cannot run is a
 * UserError naming its platform and how to add emulation.
 */
export async function selectArchs(
  opts: RunOptions,
  sel: SelectOptions = {},
): Promise<[string, CompiledBuild][]> {
  const requested = parseArchs(opts.archs);
  if (sel.noDaemon) {
    return await collect({ ...opts, archs: requested ?? [hostArch()] });
  }
  const { addr } = await ensureDaemon(opts.connect?.addr ?? Deno.env.get("BUILDKIT_HOST"), {
    log: opts.log,
  });
  const client = Client.connect({ ...opts.connect, addr });
  let workers: any[];
  try {
    workers = await client.listWorkers();
  } finally {
    client.close();
  }
  if (requested) {
    const selected = await collect({ ...opts, archs: requested });
    checkRunnable(selected.map(([arch]) => arch), workers, addr);
    return selected;
  }
  // The default: what the daemon runs, quietly narrowed by target-architecture.
  const candidates = await collect({ ...opts, archs: workerArchs(workers), log: undefined });
  const selected: [string, CompiledBuild][] = [];
  for (const [arch, compiled] of candidates) {
    const repos = [
      ...(compiled.environment.contents?.repositories ?? []),
      ...(opts.repositoryAppend ?? []),
      ...(sel.extraRepositories ?? []),
    ];
    if (await repositoriesServe(repos, arch)) selected.push([arch, compiled]);
  }
  if (!selected.length) {
    throw new UserError(
      `${opts.configFile}: no architecture to run: the daemon at ${addr} runs ` +
        `${workerArchs(workers).join(", ") || "none of melange's"}, and none of them is both ` +
        `allowed by target-architecture and served by every repository of the environment`,
    );
  }
  const left = candidates.filter(([a]) => !selected.some(([s]) => s === a)).map(([a]) => a);
  if (left.length) {
    opts.log?.(
      `architectures: ${selected.map(([a]) => a).join(", ")} (the daemon also runs ` +
        `${left.join(", ")}, which the environment's repositories have no index for)`,
    );
  }
  return selected;
}

async function collect(opts: RunOptions): Promise<[string, CompiledBuild][]> {
  const out: [string, CompiledBuild][] = [];
  for await (const pair of compiledPerArch(opts)) out.push(pair);
  return out;
}

/**
 * The progress mode for `count` solves at once: one terminal display cannot
 * draw two builds, so several architectures print plain lines instead.
 */
export function progressFor(mode: ProgressMode | undefined, count: number): ProgressMode {
  const m = mode ?? "auto";
  return count > 1 && (m === "auto" || m === "tty") ? "plain" : m;
}

/**
 * Runs `fn` for every item at once. The first failure aborts the others
 * (through the signal `fn` gets, which also follows `signal`) and is thrown
 * once all have ended; the results are in the items' order.
 */
export async function allOrFirstError<I, T>(
  items: I[],
  signal: AbortSignal | undefined,
  fn: (item: I, signal: AbortSignal) => Promise<T>,
): Promise<T[]> {
  const ctrl = new AbortController();
  const follow = () => ctrl.abort(signal?.reason);
  if (signal?.aborted) follow();
  signal?.addEventListener("abort", follow);
  let failed = false;
  let first: unknown;
  try {
    const settled = await Promise.allSettled(
      items.map((item) =>
        fn(item, ctrl.signal).catch((err) => {
          if (!failed) {
            failed = true;
            first = err;
            ctrl.abort(err);
          }
          throw err;
        })
      ),
    );
    if (failed) throw first;
    return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  } finally {
    signal?.removeEventListener("abort", follow);
  }
}
