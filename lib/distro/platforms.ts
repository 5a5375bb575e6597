/**
 * What each daemon of the pool runs, asked once at the start of a run:
 * BuildKit lists a worker's platforms with its native one first and those
 * it runs through QEMU after it. The pool routes each architecture to a
 * daemon that runs it natively before one that emulates it, and never to
 * one that cannot run it at all.
 */
import { Client } from "../buildkit/mod.ts";
import { archOfPlatform, workerArchs } from "../build/archs.ts";
import type { PoolConfig } from "./backends.ts";

/** The architectures (melange's names) one daemon runs. */
export interface BackendPlatforms {
  /** The architecture it runs natively (its first worker's first platform). */
  native?: string;
  /** Every architecture it runs, natively or emulated. */
  runs: string[];
}

/** The platforms of `workers` as ListWorkers reports them. */
export function platformsOf(workers: { platforms?: any[] }[]): BackendPlatforms {
  const first = workers[0]?.platforms?.[0];
  return { native: first ? archOfPlatform(first) : undefined, runs: workerArchs(workers) };
}

/**
 * Asks every backend for its workers. A daemon that does not answer is left
 * out of the map: the pool then treats it as configured, and its builds fail
 * (and open its circuit) as with any unreachable daemon.
 */
export async function probePlatforms(
  config: PoolConfig,
  timeoutMs = 10_000,
): Promise<Map<string, BackendPlatforms>> {
  const out = new Map<string, BackendPlatforms>();
  await Promise.all(config.backends.map(async (b) => {
    const client = Client.connect({ ...b.tls, addr: b.addr });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const workers = await Promise.race([
        client.listWorkers(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("timed out")), timeoutMs);
        }),
      ]);
      out.set(b.addr, platformsOf(workers));
    } catch {
      // Unreachable now: see the doc comment.
    } finally {
      clearTimeout(timer);
      client.close();
    }
  }));
  return out;
}
