/**
 * The terminal display of a solve, redrawn in place like `docker buildx`:
 * a header with the elapsed time and the count of finished steps, then the
 * steps in the order they started, each with its time right-aligned; a
 * running step shows a live timer and its last lines of output, cached ones
 * are marked, finished ones collapse to one line. Every line fits the width.
 */
import type { StepRecord } from "./progress.ts";

/** Lines of output shown under a running (or failed) step. */
export const OUTPUT_LINES = 6;

const COLOR = {
  running: "\x1b[36m",
  cached: "\x1b[90m",
  error: "\x1b[31m",
  output: "\x1b[90m",
  reset: "\x1b[0m",
};

/** What a frame is drawn from. */
export interface FrameInput {
  /** Steps in display order; those not started yet are not drawn. */
  steps: StepRecord[];
  /** How many steps the solve has so far. */
  total: number;
  /** Seconds since the epoch (for running steps' timers). */
  now: number;
  /** Seconds since the solve started. */
  elapsed: number;
  columns: number;
  rows: number;
  done: boolean;
  color: boolean;
}

/** Fits `s` into `width` columns, ending in `…` when cut. */
export function fit(s: string, width: number): string {
  const chars = [...s.replace(/\t/g, "  ").replace(/[\x00-\x1f\x7f]/g, "")];
  if (width <= 0) return "";
  return chars.length <= width ? chars.join("") : chars.slice(0, width - 1).join("") + "…";
}

function seconds(r: StepRecord, now: number): string {
  if (r.started === undefined) return "0.0s";
  return `${Math.max(0, (r.completed ?? now) - r.started).toFixed(1)}s`;
}

/** The lines of one frame, without cursor movement. */
export function renderFrame(f: FrameInput): string[] {
  const paint = (color: string, s: string) => f.color ? `${color}${s}${COLOR.reset}` : s;
  const shown = f.steps.filter((r) => r.announced);
  const finished = shown.filter((r) => r.completed !== undefined).length;
  const state = f.done ? " FINISHED" : "";
  const header = fit(
    `[+] Building ${f.elapsed.toFixed(1)}s (${finished}/${f.total})${state}`,
    f.columns,
  );
  const blocks = shown.map((r) => {
    const running = r.completed === undefined;
    const tag = r.error ? "ERROR " : r.cached ? "CACHED " : "";
    const time = seconds(r, f.now);
    const head = ` => ${tag}[${r.index}/${f.total}] `;
    const room = f.columns - head.length - time.length - 1;
    const name = fit(r.name, room);
    const line = `${head}${name}${" ".repeat(Math.max(1, room - [...name].length + 1))}${time}`;
    const color = r.error ? COLOR.error : r.cached ? COLOR.cached : running ? COLOR.running : "";
    const lines = [paint(color, fit(line, f.columns))];
    if (running || r.error) {
      for (const out of r.tail.slice(-OUTPUT_LINES)) {
        lines.push(paint(COLOR.output, fit(` => => # ${out}`, f.columns)));
      }
    }
    return { lines, running };
  });
  // Too tall for the terminal: the oldest finished steps give way first.
  const room = Math.max(1, f.rows - 2);
  let total = blocks.reduce((n, b) => n + b.lines.length, 0);
  for (let i = 0; i < blocks.length && total > room; i++) {
    if (blocks[i].running) continue;
    total -= blocks[i].lines.length;
    blocks[i].lines = [];
  }
  const body = blocks.flatMap((b) => b.lines);
  return [header, ...body.slice(Math.max(0, body.length - room))];
}
