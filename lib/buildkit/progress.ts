/**
 * Solve progress for people and machines. `plain` prints a line when a step
 * starts (`[7/12] uses: go/build`), its output indented with `|`, and a line
 * when it ends (`-> uses: go/build (18.3s) [done]` or `[CACHED]`); `tty`
 * redraws the steps in place as buildx does (progress_tty.ts); `rawjson`
 * prints every status message as one JSON line, as buildctl does
 * (rawjson.ts). People's modes end with a `Build summary:` block.
 */
import { solveStatusJson, type StatusResponse } from "./rawjson.ts";
import { renderFrame } from "./progress_tty.ts";

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

/** Terminal size for `tty`, when not the real one (tests). */
export interface TerminalSize {
  columns: number;
  rows: number;
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
  readonly steps: Map<string, StepRecord> = new Map();
  readonly #mode: Exclude<ProgressMode, "auto">;
  readonly #write: (s: string) => void;
  readonly #start = performance.now();
  #partial = new Map<string, string>();
  #ttyLines = 0;
  #announced = 0;
  /** The step whose line was printed last (plain): its output needs no name. */
  #current?: StepRecord;
  readonly #size?: TerminalSize;
  #timer?: ReturnType<typeof setInterval>;
  /** Steps that ended and whose end line is not printed yet (plain). */
  #ending = new Set<StepRecord>();
  #endTimer?: ReturnType<typeof setTimeout>;

  constructor(
    mode: ProgressMode,
    write: (s: string) => void = (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
    size?: TerminalSize,
  ) {
    this.#mode = mode === "auto" ? (Deno.stderr.isTerminal() ? "tty" : "plain") : mode;
    this.#write = write;
    this.#size = size;
    if (this.#mode === "tty") this.#timer = setInterval(() => this.#redraw(false), 150);
  }

  /** Feeds one status message. */
  update(msg: StatusResponse): void {
    if (this.#mode === "rawjson") this.#write(solveStatusJson(msg) + "\n");
    const recs = (msg.vertexes ?? []).map((v) => this.#vertex(v));
    if (this.#mode !== "plain") { for (const rec of recs) this.#announce(rec); }
    else {
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
        index: 0, // numbered when it starts
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

  /** Numbers a step in the order steps start; plain prints its start line. */
  #announce(rec: StepRecord): void {
    if (!rec.announced && (rec.started !== undefined || rec.cached)) {
      rec.announced = true;
      rec.index = ++this.#announced;
      if (this.#mode !== "plain") return;
      this.#current = rec;
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
    const tag = rec.error ? `[ERROR] ${rec.error}` : rec.cached ? "[CACHED]" : "[done]";
    this.#write(`-> ${rec.name} (${secs}s) ${tag}\n`);
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
      if (this.#mode !== "plain") continue;
      // Output of the step last named reads as its own; another step's says whose it is.
      const who = rec && rec === this.#current ? "  " : `[${rec?.index ?? "?"}]`;
      this.#write(`${who} | ${line}\n`);
    }
  }

  /** The lines the terminal display shows now (no colors when the size was given). */
  frame(done = false): string[] {
    const size = this.#size ?? terminalSize();
    return renderFrame({
      steps: [...this.steps.values()].sort((a, b) => order(a) - order(b)),
      total: this.steps.size,
      now: Date.now() / 1000,
      elapsed: (performance.now() - this.#start) / 1000,
      columns: size.columns,
      rows: size.rows,
      done,
      color: !this.#size,
    });
  }

  #redraw(done: boolean): void {
    const lines = this.frame(done);
    // Up to the frame's first line, clear to the end of the screen, draw: one write.
    const up = this.#ttyLines ? `\x1b[${this.#ttyLines}A\r` : "";
    this.#write(`${up}\x1b[J${lines.join("\n")}\n`);
    this.#ttyLines = lines.length;
  }

  /** Stops redrawing and prints the summary. */
  finish(): SolveSummary {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#mode === "tty") this.#redraw(true);
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
      this.#write(summaryBlock(summary));
    }
    return summary;
  }

  /** The first step that failed, if any. */
  failedStep(): StepRecord | undefined {
    // When one step fails BuildKit cancels the others, which then report
    // "context canceled" too: the cause is the step that failed otherwise.
    const failed = [...this.steps.values()].filter((s) => s.error);
    return failed.find((s) => !CANCELLED.test(s.error!)) ?? failed[0];
  }
}

/** The error of a step BuildKit cancelled because another one failed. */
const CANCELLED = /(^|: |= )context canceled$/;

/** The `Build summary:` block people's modes end with. */
export function summaryBlock(s: SolveSummary): string {
  return [
    "Build summary:",
    `  total:    ${s.steps} steps`,
    `  cached:   ${s.cached}`,
    `  executed: ${s.executed}`,
    `  duration: ${(s.durationMs / 1000).toFixed(1)}s`,
    "",
  ].join("\n");
}

/** Steps appear in the order they started; ones not started yet go last. */
function order(r: StepRecord): number {
  return r.announced ? r.index : Infinity;
}

function terminalSize(): TerminalSize {
  try {
    return Deno.consoleSize();
  } catch {
    return { columns: 80, rows: 24 };
  }
}
