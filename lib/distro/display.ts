/**
 * Progress of a many-package run. On a terminal: a live block redrawn in
 * place, a count line (done/running/queued/failed/skipped) and one line per
 * running package with its backend and current step. Elsewhere: one line
 * per event (start, end, retry, circuit change). At the end: a table of
 * every package (version, backend, duration, cached steps, result).
 */
import type { StepRecord } from "../buildkit/progress.ts";
import type { CircuitEvent } from "./pool.ts";
import type { JobResult, ScheduleEvent } from "./schedule.ts";

/** How a job is named in output. */
export interface JobLabel {
  name: string;
  arch: string;
  version: string;
}

/** Options of {@link RunDisplay}. */
export interface DisplayOptions {
  mode: "tty" | "plain" | "quiet";
  write: (s: string) => void;
  labels: Map<string, JobLabel>;
  /** Each running job's steps (the runner fills it). */
  live: Map<string, { steps: Map<string, StepRecord> }>;
  /** Show architectures (a run of more than one). */
  showArch?: boolean;
  columns?: number;
}

/** The run's progress output (see the module doc). */
export class RunDisplay {
  readonly #o: DisplayOptions;
  readonly #running = new Map<string, { backend: string; since: number }>();
  readonly #ended = new Map<string, JobResult>();
  #drawn = 0;
  #timer?: ReturnType<typeof setInterval>;

  constructor(opts: DisplayOptions) {
    this.#o = opts;
    if (opts.mode === "tty") this.#timer = setInterval(() => this.#draw(), 200);
  }

  /** Feeds a scheduler event. */
  event(e: ScheduleEvent): void {
    if (e.kind === "start") {
      this.#running.set(e.id, { backend: e.backend, since: Date.now() });
      const again = e.attempt > 1 ? ` (attempt ${e.attempt})` : "";
      this.#say(`${this.#counts()} start ${this.#label(e.id)} on ${e.backend}${again}`);
    } else if (e.kind === "retry") {
      this.#running.delete(e.id);
      this.#say(`retry ${this.#label(e.id)}: its daemon ${e.backend} failed: ${e.error}`);
    } else {
      this.#running.delete(e.result.id);
      this.#ended.set(e.result.id, e.result);
      const r = e.result;
      const how = r.status === "built" || r.status === "cached"
        ? `${r.status} in ${seconds(r.durationMs)}${r.backend ? ` on ${r.backend}` : ""}`
        : `${r.status}: ${firstLine(r.reason ?? "")}`;
      this.#say(`${this.#counts()} ${this.#label(r.id)} ${how}`);
    }
  }

  /** Feeds a circuit change. */
  circuit(e: CircuitEvent): void {
    this.#say(`backend ${e.addr}: circuit ${e.state}`);
  }

  /** Stops redrawing and clears the live block. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#clear();
  }

  /** `done/running/queued/failed/skipped` now. */
  #counts(): string {
    const total = this.#o.labels.size;
    const by = (s: string) => [...this.#ended.values()].filter((r) => r.status === s).length;
    const done = by("built") + by("cached");
    const queued = total - this.#ended.size - this.#running.size;
    return `[${done}/${total} done, ${this.#running.size} running, ${queued} queued, ` +
      `${by("failed")} failed, ${by("skipped")} skipped]`;
  }

  #label(id: string): string {
    const l = this.#o.labels.get(id);
    if (!l) return id;
    return this.#o.showArch ? `${l.name}-${l.version} (${l.arch})` : `${l.name}-${l.version}`;
  }

  #say(line: string): void {
    if (this.#o.mode === "quiet") return;
    if (this.#o.mode === "plain") return this.#o.write(line + "\n");
    this.#clear();
    this.#o.write(line + "\n");
    this.#draw();
  }

  #clear(): void {
    if (this.#drawn) this.#o.write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    if (this.#o.mode !== "tty") return;
    const width = this.#o.columns ?? 100;
    const lines = [this.#counts()];
    for (const [id, r] of this.#running) {
      const step = currentStep(this.#o.live.get(id)?.steps);
      const line = `  ${this.#label(id)}  ${r.backend}  ${seconds(Date.now() - r.since)}  ${step}`;
      lines.push(line.length > width ? line.slice(0, width - 1) + "…" : line);
    }
    this.#clear();
    this.#o.write(lines.join("\n") + "\n");
    this.#drawn = lines.length;
  }
}

/** The step a solve is running now (the latest started, unfinished). */
export function currentStep(steps: Map<string, StepRecord> | undefined): string {
  if (!steps) return "preparing";
  let best: StepRecord | undefined;
  for (const s of steps.values()) {
    if (s.started !== undefined && s.completed === undefined) {
      if (!best || s.started > best.started!) best = s;
    }
  }
  return best?.name ?? "starting";
}

/** The final table: one row per job, in the order given. */
export function resultsTable(
  results: JobResult[],
  labels: Map<string, JobLabel>,
  showArch = false,
): string {
  const head = [
    "PACKAGE",
    "VERSION",
    ...(showArch ? ["ARCH"] : []),
    "BACKEND",
    "DURATION",
    "CACHED",
    "RESULT",
  ];
  const rows = results.map((r) => {
    const l = labels.get(r.id)!;
    const result = r.status === "failed" || r.status === "skipped"
      ? `${r.status}: ${firstLine(r.reason ?? "")}`
      : r.attempts > 1
      ? `${r.status} (attempt ${r.attempts})`
      : r.status;
    return [
      l.name,
      l.version,
      ...(showArch ? [l.arch] : []),
      r.backend ?? "-",
      r.status === "skipped" ? "-" : seconds(r.durationMs),
      r.cachedSteps === undefined ? "-" : String(r.cachedSteps),
      result,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return [fmt(head), ...rows.map(fmt)].join("\n");
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function firstLine(s: string): string {
  const line = s.split("\n")[0];
  return line.length > 160 ? line.slice(0, 159) + "…" : line;
}
