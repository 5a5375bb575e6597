/**
 * melange's build timeouts: `package.timeout` in the file, else `--timeout`
 * (both Go durations, `90s`, `1h30m`); a build that runs longer is
 * cancelled and fails with melange's message.
 */
import { UserError } from "../errors.ts";

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration (`time.ParseDuration`) in milliseconds; `what` names it in the error. */
export function parseDuration(text: string, what: string): number {
  const s = text.trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) break;
    ms += Number(m[1]) * UNITS[m[2]];
    i = re.lastIndex;
  }
  if (!s || i !== s.length) {
    throw new UserError(
      `${what} ${JSON.stringify(text)}: expected a duration such as 90s or 1h30m`,
    );
  }
  return ms;
}

/** A duration as Go's Duration.String() spells it (`2s`, `1m30s`, `1h0m0s`, `500ms`). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

/**
 * Runs `fn` with a signal that also aborts after `ms` (none: `fn` gets
 * `signal` as it is); a run cut short by the timeout fails with melange's
 * "build exceeded its timeout of ...".
 */
export async function withTimeout<T>(
  ms: number | undefined,
  signal: AbortSignal,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (!ms) return fn(signal);
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, ms);
  const onAbort = () => ac.abort();
  signal.addEventListener("abort", onAbort);
  try {
    return await fn(ac.signal);
  } catch (err) {
    if (timedOut) throw new UserError(`build exceeded its timeout of ${formatDuration(ms)}`);
    throw err;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}
