/**
 * Solve progress for people and machines, as buildx shows it:
 * `plain` prints a line when a step starts and ends, and each step's output
 * prefixed by the step; `tty` redraws the steps with timers; `rawjson`
 * prints every status message as one JSON line, as buildctl does
 * (rawjson.ts). Every mode ends with a summary (steps, cached, executed,
 * duration).
 */
import { solveStatusJson, type StatusResponse } from "./rawjson.ts";

/** Output modes of `--progress`. */
export type ProgressMode = "auto" | "tty" | "plain" | "rawjson" | "quiet";

/** What happened to one step. */
export interface StepRecord {
  digest: string;
  name: string;
  index: number;
  cached: boolean;
  started?: number;
  completed?: number;
  error?: string;
  /** The last lines of output, for error messages. */
  tail: string[];
  /** Whether the start line was printed. */
  announced?: boolean;
}

/** Totals of a finished solve. */
export interface SolveSummary {
  steps: number;
  cached: number;
  executed: number;
  durationMs: number;
}

const TAIL_LINES = 20;
/** How long plain output waits before printing a step's end (buildctl redraws every 100 ms). */
const END_DELAY_MS = 100;

function secondsOf(t?: { seconds?: number; nanos?: number }): number | undefined {
  if (!t || (!t.seconds && !t.nanos)) return undefined;
  return (t.seconds ?? 0) + (t.nanos ?? 0) / 1e9;
}

/** Collects step records from status messages and renders them. */
export class ProgressWriter {
  readonly steps = new Map<string, StepRecord>();
  readonly #mode: Exclude<ProgressMode, "auto">;
  readonly #write: (s: string) => void;
  readonly #start = performance.now();
  #partial = new Map<string, string>();
  #ttyLines = 0;
  #announced = 0;
  #timer?: ReturnType<typeof setInterval>;
  /** Steps that ended and whose end line is not printed yet (plain). */
  #ending = new Set<StepRecord>();
  #endTimer?: ReturnType<typeof setTimeout>;

  constructor(
    mode: ProgressMode,
    write: (s: string) => void = (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
  ) {
    this.#mode = mode === "auto" ? (Deno.stderr.isTerminal() ? "tty" : "plain") : mode;
    this.#write = write;
    if (this.#mode === "tty") this.#timer = setInterval(() => this.#redraw(), 150);
  }

  /** Feeds one status message. */
  update(msg: StatusResponse): void {
    if (this.#mode === "rawjson") this.#write(solveStatusJson(msg) + "\n");
    const recs = (msg.vertexes ?? []).map((v) => this.#vertex(v));
    if (this.#mode === "plain") {
      for (const rec of recs) {
        this.#announce(rec);
        // A cached step does not run again: its end follows its start.
        if (rec.cached && this.#ending.delete(rec)) this.#printEnd(rec);
      }
      // Other ends wait a moment, as buildctl's display does: BuildKit
      // sometimes ends a step and starts it again at once (a local source
      // does), and its true duration is known only at the second end.
      if (this.#ending.size) this.#endTimer ??= setTimeout(() => this.#printEnds(), END_DELAY_MS);
    }
    for (const l of msg.logs ?? []) {
      this.#log(l.vertex, new TextDecoder().decode(l.msg ?? new Uint8Array()));
    }
  }

  /** Applies a vertex update; a start without an end means (again) running. */
  #vertex(v: NonNullable<StatusResponse["vertexes"]>[number]): StepRecord {
    let rec = this.steps.get(v.digest);
    if (!rec) {
      rec = {
        digest: v.digest,
        name: v.name ?? v.digest,
        index: this.steps.size + 1,
        cached: false,
        tail: [],
      };
      this.steps.set(v.digest, rec);
    }
    const wasDone = rec.completed !== undefined;
    const started = secondsOf(v.started), completed = secondsOf(v.completed);
    rec.cached ||= !!v.cached;
    rec.started ??= started;
    if (completed !== undefined) rec.completed = completed;
    else if (started !== undefined) rec.completed = undefined;
    if (v.error) rec.error = v.error;
    if (this.#mode === "plain" && !wasDone && rec.completed !== undefined) this.#ending.add(rec);
    return rec;
  }

  #announce(rec: StepRecord): void {
    if (!rec.announced && (rec.started !== undefined || rec.cached)) {
      rec.announced = true;
      rec.index = ++this.#announced;
      this.#write(`[${rec.index}/${this.steps.size}] ${rec.name}\n`);
    }
  }

  /** Prints the end lines of the steps that ended and are still done. */
  #printEnds(): void {
    clearTimeout(this.#endTimer);
    this.#endTimer = undefined;
    for (const rec of this.#ending) if (rec.completed !== undefined) this.#printEnd(rec);
    this.#ending.clear();
  }

  #printEnd(rec: StepRecord): void {
    const secs = rec.started !== undefined ? (rec.completed! - rec.started).toFixed(1) : "0.0";
    const tag = rec.error ? ` ERROR: ${rec.error}` : rec.cached ? " [CACHED]" : "";
    this.#write(`-> ${rec.name} (${secs}s)${tag}\n`);
  }

  #log(digest: string, text: string): void {
    const rec = this.steps.get(digest);
    const joined = (this.#partial.get(digest) ?? "") + text;
    const lines = joined.split("\n");
    this.#partial.set(digest, lines.pop()!);
    for (const line of lines) {
      if (rec) {
        rec.tail.push(line);
        if (rec.tail.length > TAIL_LINES) rec.tail.shift();
      }
      if (this.#mode === "plain") this.#write(`[${rec?.index ?? "?"}] ${line}\n`);
    }
  }

  #redraw(): void {
    const now = Date.now() / 1000;
    const lines = [...this.steps.values()].map((r) => {
      const end = r.completed ?? now;
      const secs = r.started !== undefined ? (end - r.started).toFixed(1) : "0.0";
      const state = r.error
        ? " ERROR"
        : r.cached
        ? " CACHED"
        : r.completed !== undefined
        ? " DONE"
        : "";
      return `[${r.index}] ${r.name.slice(0, 100)} ${secs}s${state}`;
    });
    const up = this.#ttyLines ? `\x1b[${this.#ttyLines}A` : "";
    this.#write(up + lines.map((l) => `\x1b[2K${l}\n`).join(""));
    this.#ttyLines = lines.length;
  }

  /** Stops redrawing and prints the summary. */
  finish(): SolveSummary {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#mode === "tty") this.#redraw();
    if (this.#mode === "plain") this.#printEnds();
    const steps = [...this.steps.values()];
    const summary: SolveSummary = {
      steps: steps.length,
      cached: steps.filter((s) => s.cached).length,
      executed: steps.filter((s) => !s.cached && s.completed !== undefined).length,
      durationMs: Math.round(performance.now() - this.#start),
    };
    if (this.#mode === "rawjson") this.#write(JSON.stringify({ summary }) + "\n");
    else if (this.#mode !== "quiet" && summary.steps) {
      // No steps: the solve never started (an unreachable daemon); its error says why.
      this.#write(
        `${summary.steps} steps: ${summary.cached} cached, ${summary.executed} executed in ${
          (summary.durationMs / 1000).toFixed(1)
        }s\n`,
      );
    }
    return summary;
  }

  /** The first step that failed, if any. */
  failedStep(): StepRecord | undefined {
    return [...this.steps.values()].find((s) => s.error);
  }
}
