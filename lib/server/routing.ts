/**
 * Which backend runs which job: the many-file build's pool (lib/distro:
 * arch and label matching, least loaded first, native before emulated, a
 * circuit breaker per daemon), kept in step with the store's backend list
 * and with the jobs every server runs, and told what each daemon runs
 * (asked once per daemon, again a while after it did not answer).
 *
 * Each server has its own breaker: a daemon that fails under this server's
 * jobs stops getting this server's jobs; other servers judge it themselves.
 */
import type { Backend, PoolConfig } from "../distro/backends.ts";
import { type CircuitEvent, Pool } from "../distro/pool.ts";
import { type BackendPlatforms, probePlatforms } from "../distro/platforms.ts";
import type { QueuedJob } from "./types.ts";

/** The pool's settings besides its backends (a backends file's, else Go melange2's defaults). */
export type PoolSettings = Omit<PoolConfig, "backends">;

/** Options of {@link Routing}. */
export interface RoutingOptions {
  /** Ask each daemon what it runs (default true). */
  probe?: boolean;
  /** A daemon that did not answer is asked again after this long (default 30 s). */
  probeRetryMs?: number;
  onCircuit?: (e: CircuitEvent) => void;
}

/** The server's pool (see the module doc). */
export class Routing {
  readonly pool: Pool;
  readonly #settings: PoolSettings;
  readonly #opts: RoutingOptions;
  readonly #platforms = new Map<string, BackendPlatforms>();
  /** Per address: the connection it was asked with, when, and whether it answered. */
  readonly #asked = new Map<string, { key: string; at: number; answered: boolean }>();

  constructor(settings: PoolSettings, opts: RoutingOptions = {}) {
    this.#settings = settings;
    this.#opts = opts;
    this.pool = new Pool({ ...settings, backends: [] }, {
      platforms: this.#platforms,
      onEvent: opts.onCircuit,
    });
  }

  /** Takes the store's backend list (a kept backend keeps its circuit). */
  update(backends: Backend[]): void {
    this.pool.reconfigure({ ...this.#settings, backends });
    if (this.#opts.probe === false) return;
    for (const b of backends) this.#ask(b);
  }

  /** The backend a queued job should start on now, if any has room. */
  choose(job: QueuedJob): Backend | undefined {
    return this.pool.choose(job.arch, job.labels, new Set(job.failedOn));
  }

  /**
   * Why a queued job does not start, or undefined when it only waits for a
   * free slot: no backend runs its architectures or has its labels, or the
   * circuits of all that do are open.
   */
  whyWaiting(arch: string[], labels: Record<string, string> = {}): string | undefined {
    const matching = this.pool.matching(arch, labels);
    if (matching.length) {
      const addrs = new Set(matching.map((b) => b.addr));
      const open = this.pool.status().filter((s) => addrs.has(s.backend.addr));
      if (!open.every((s) => s.circuit === "open")) return undefined;
      const wait = Math.ceil((this.pool.nextRecovery() ?? 0) / 1000);
      return `the daemons that can run it failed (circuit open: ${[...addrs].join(", ")}); ` +
        `the next trial is in ${wait} s`;
    }
    const selector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
    const add = `: it stays queued until one is added (melange2 remote backends add ADDR` +
      `${arch.length === 1 ? ` --arch ${arch[0]}` : ""}${selector ? ` --label ${selector}` : ""})`;
    if (!this.pool.config.backends.length) return `the server has no backends${add}`;
    const unrun = arch.filter((a) => !this.pool.matching([a]).length);
    if (unrun.length) return `no backend runs ${unrun.join(", ")}${add}`;
    if (!this.pool.matching(arch).length) {
      return `no single backend runs all of ${arch.join(", ")} (submit one job per arch)`;
    }
    return `no backend${arch.length ? ` that runs ${arch.join(", ")}` : ""} has the labels ` +
      `${selector}${add}`;
  }

  /** Asks a daemon what it runs, in the background, unless that is known or was just asked. */
  #ask(b: Backend): void {
    const key = JSON.stringify([b.addr, b.tls ?? {}]);
    const asked = this.#asked.get(b.addr);
    const retry = this.#opts.probeRetryMs ?? 30_000;
    if (asked?.key === key && (asked.answered || Date.now() - asked.at < retry)) return;
    if (asked?.key !== key) this.#platforms.delete(b.addr);
    const mark = { key, at: Date.now(), answered: false };
    this.#asked.set(b.addr, mark);
    probePlatforms({ ...this.#settings, backends: [b] }, 5_000).then((found) => {
      const p = found.get(b.addr);
      if (!p || this.#asked.get(b.addr) !== mark) return;
      mark.answered = true;
      this.#platforms.set(b.addr, p);
    }).catch(() => {});
  }
}
