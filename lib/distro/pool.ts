/**
 * The pool of BuildKit daemons a run dispatches to, as Go melange2's pool
 * selects: among the backends of the job's architecture whose labels match
 * its selector, the least loaded (running / maxJobs) with a free slot and a
 * closed circuit. A daemon that fails `failureThreshold` times in a row
 * (it could not be reached, or died under a build) has its circuit opened:
 * it gets no jobs for `recoveryTimeout`, then one trial job (half-open);
 * a success closes the circuit, a failure opens it again. A build that
 * fails on its own (a step exits non-zero) is the package's failure, not
 * the daemon's, and does not count against it.
 *
 * When the pool knows what each daemon runs (platforms.ts), a job goes
 * only to daemons that run its architecture, and to one that runs it
 * natively before one that emulates it with QEMU (several times slower).
 *
 * State is held by one Pool value per run (a build server keeps one for its
 * life, `reconfigure`d as its backend list changes, and counts the jobs
 * other servers run on the same daemons through `setRunningElsewhere`);
 * time comes from `now` so the breaker can be followed exactly.
 */
import type { Backend, PoolConfig } from "./backends.ts";
import type { BackendPlatforms } from "./platforms.ts";

/** A circuit's state. */
export type CircuitState = "closed" | "open" | "half-open";

/** A change of a backend's circuit, for progress output and tests. */
export interface CircuitEvent {
  at: number;
  addr: string;
  state: CircuitState;
}

/** A backend's state, for display. */
export interface BackendStatus {
  backend: Backend;
  running: number;
  maxJobs: number;
  failures: number;
  circuit: CircuitState;
  /** Jobs finished on it (any outcome but the daemon's failure). */
  done: number;
}

/** How a job on a backend ended, as the breaker counts it. */
export type Outcome = "ok" | "daemon-failure";

interface State {
  running: number;
  failures: number;
  openedAt?: number;
  circuit: CircuitState;
  /** A half-open trial is running. */
  trial: boolean;
  done: number;
}

/** The run's pool (see the module doc). */
export class Pool {
  readonly events: CircuitEvent[] = [];
  readonly #state = new Map<string, State>();
  readonly #now: () => number;
  readonly #onEvent?: (e: CircuitEvent) => void;
  #config: PoolConfig;
  #platforms: ReadonlyMap<string, BackendPlatforms>;
  #elsewhere: Record<string, number> = {};

  constructor(
    config: PoolConfig,
    opts: {
      now?: () => number;
      onEvent?: (e: CircuitEvent) => void;
      /** What each daemon runs, by address (platforms.ts); unknown ones run what they are configured for. */
      platforms?: ReadonlyMap<string, BackendPlatforms>;
    } = {},
  ) {
    this.#config = config;
    this.#now = opts.now ?? (() => Date.now());
    this.#onEvent = opts.onEvent;
    this.#platforms = opts.platforms ?? new Map();
    this.reconfigure(config);
  }

  /** The backends and settings in use. */
  get config(): PoolConfig {
    return this.#config;
  }

  /**
   * Replaces the backends (and what is known of their platforms): a backend
   * kept keeps its state (running jobs, circuit), a new one starts closed.
   * A removed backend's state is kept too, so a job still on it can release it.
   */
  reconfigure(config: PoolConfig, platforms?: ReadonlyMap<string, BackendPlatforms>): void {
    this.#config = config;
    if (platforms) this.#platforms = platforms;
    for (const b of config.backends) {
      if (this.#state.has(b.addr)) continue;
      this.#state.set(b.addr, {
        running: 0,
        failures: 0,
        circuit: "closed",
        trial: false,
        done: 0,
      });
    }
  }

  /**
   * Jobs that other processes run on each backend (by address): they take
   * slots as this pool's own do, so several build servers sharing daemons
   * keep to each daemon's maxJobs together.
   */
  setRunningElsewhere(running: Record<string, number>): void {
    this.#elsewhere = { ...running };
  }

  /**
   * The backends that could ever run a job of `arch` (every one of a list;
   * an empty list: any) with `selector` (open circuits too); a backend of
   * arch `*` (from `--buildkit-addr`) runs any.
   */
  matching(arch: string | string[], selector: Record<string, string> = {}): Backend[] {
    const archs = typeof arch === "string" ? [arch] : arch;
    return this.#config.backends.filter((b) =>
      archs.every((a) =>
        (b.arch === a || b.arch === "*") &&
        (this.#platforms.get(b.addr)?.runs.includes(a) ?? true)
      ) &&
      Object.entries(selector).every(([k, v]) => b.labels[k] === v)
    );
  }

  /** Whether the daemon is known to run `arch` (any of a list) only through emulation. */
  emulates(b: Backend, arch: string | string[]): boolean {
    const p = this.#platforms.get(b.addr);
    const archs = typeof arch === "string" ? [arch] : arch;
    return p?.native !== undefined && archs.some((a) => a !== p.native);
  }

  /** What the pool knows the daemon runs (platforms.ts), if it was asked. */
  platforms(addr: string): BackendPlatforms | undefined {
    return this.#platforms.get(addr);
  }

  /**
   * Takes a slot on the least-loaded available backend for `arch` and
   * `selector`, native ones first; undefined when none has a slot now. Backends in `avoid`
   * (those a job's daemon failed on) are left out while the pool has any
   * other that matches, even a busy one: the job waits for it.
   */
  acquire(
    arch: string,
    selector: Record<string, string> = {},
    avoid: ReadonlySet<string> = new Set(),
  ): Backend | undefined {
    const best = this.choose(arch, selector, avoid);
    if (best) this.take(best);
    return best;
  }

  /** The backend {@link acquire} would take a slot on now, without taking it. */
  choose(
    arch: string | string[],
    selector: Record<string, string> = {},
    avoid: ReadonlySet<string> = new Set(),
  ): Backend | undefined {
    const all = this.matching(arch, selector);
    const others = all.filter((b) => !avoid.has(b.addr));
    let best: Backend | undefined;
    let bestLoad = Infinity;
    for (const b of others.length ? others : all) {
      const s = this.#state.get(b.addr)!;
      if (!this.#admits(b, s)) continue;
      // Native daemons rank before every emulating one, then the least loaded.
      const load = this.#load(b, s) / this.maxJobs(b) + (this.emulates(b, arch) ? 2 : 0);
      if (load < bestLoad) {
        best = b;
        bestLoad = load;
      }
    }
    return best;
  }

  /** Takes a slot on `b` (one {@link choose} gave): its half-open trial, if it is one. */
  take(b: Backend): void {
    const s = this.#state.get(b.addr)!;
    s.running++;
    if (s.circuit === "half-open") s.trial = true;
  }

  /** The backends that would take a job now: a free slot, and a circuit that lets one through. */
  available(): Backend[] {
    return this.#config.backends.filter((b) => this.#admits(b, this.#state.get(b.addr)!));
  }

  /** Gives back the slot `acquire` took and counts the outcome for the breaker. */
  release(b: Backend, outcome: Outcome): void {
    const s = this.#state.get(b.addr)!;
    s.running--;
    const wasTrial = s.circuit === "half-open" && s.trial;
    if (wasTrial) s.trial = false;
    if (outcome === "ok") {
      s.done++;
      s.failures = 0;
      if (s.circuit !== "closed") this.#set(b.addr, s, "closed");
      return;
    }
    s.failures++;
    if (s.circuit === "half-open" || s.failures >= this.#config.failureThreshold) {
      s.openedAt = this.#now();
      if (s.circuit !== "open") this.#set(b.addr, s, "open");
    }
  }

  /** Milliseconds until an open circuit lets a trial through (undefined: none is open). */
  nextRecovery(): number | undefined {
    let next: number | undefined;
    for (const s of this.#state.values()) {
      if (s.circuit !== "open") continue;
      const wait = Math.max(0, s.openedAt! + this.#config.recoveryTimeoutMs - this.#now());
      next = next === undefined ? wait : Math.min(next, wait);
    }
    return next;
  }

  /** Each backend's state now. */
  status(): BackendStatus[] {
    return this.#config.backends.map((b) => {
      const s = this.#state.get(b.addr)!;
      this.#admits(b, s); // moves an open circuit whose time is up to half-open
      return {
        backend: b,
        running: s.running,
        maxJobs: this.maxJobs(b),
        failures: s.failures,
        circuit: s.circuit,
        done: s.done,
      };
    });
  }

  /** The backend's job limit. */
  maxJobs(b: Backend): number {
    return b.maxJobs || this.#config.defaultMaxJobs;
  }

  #admits(b: Backend, s: State): boolean {
    if (s.circuit === "open") {
      if (this.#now() - s.openedAt! < this.#config.recoveryTimeoutMs) return false;
      this.#set(b.addr, s, "half-open");
    }
    if (s.circuit === "half-open" && s.trial) return false;
    return this.#load(b, s) < this.maxJobs(b);
  }

  #load(b: Backend, s: State): number {
    return s.running + (this.#elsewhere[b.addr] ?? 0);
  }

  #set(addr: string, s: State, state: CircuitState): void {
    s.circuit = state;
    const e = { at: this.#now(), addr, state };
    this.events.push(e);
    this.#onEvent?.(e);
  }
}

/**
 * Whether a build's error is its daemon's (unreachable, gone mid-build)
 * rather than the package's: such a job is retried on another daemon.
 */
export function isDaemonFailure(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  if (/^step "[^"]*" failed/.test(text)) return false;
  return /cannot reach BuildKit|hung up|ECONNRESET|ECONNREFUSED|EPIPE|connect ENOENT|Connection dropped|UNAVAILABLE|Stream removed|GOAWAY|socket hang up|No connection established|Call cancelled|ended the connection|premature close/i
    .test(text);
}
