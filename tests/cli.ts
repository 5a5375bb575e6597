/** Runs the CLI from source as a user would, capturing its output. */
import { repoPath } from "./shared.ts";

/** The result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno run -A main.ts ARGS` with optional stdin, env and cwd. */
export async function runCli(
  args: string[],
  opts: {
    stdin?: Uint8Array | string;
    env?: Record<string, string>;
    cwd?: string;
    signal?: AbortSignal;
    /** A command that runs the CLI (e.g. `prlimit --nofile=512`). */
    wrapper?: string[];
  } = {},
): Promise<CliResult> {
  const argv = [...opts.wrapper ?? [], Deno.execPath(), "run", "-A", repoPath("main.ts"), ...args];
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
    cwd: opts.cwd,
    signal: opts.signal,
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(
      typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin,
    );
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
