/**
 * Go melange v0.59.1 as a live oracle of `melange2 compile`: the binary the
 * set-up builds ($MELANGE2_MELANGE) run on a file, its JSON or its error, a
 * few processes at a time.
 */
import { existsSync } from "node:fs";

/** The melange binary: $MELANGE2_MELANGE (scripts/setup.sh builds it and prints the export). */
export const melangePath: string | undefined = Deno.env.get("MELANGE2_MELANGE");

/** Why the live melange tests cannot run, or undefined when they can. */
export const noMelange: string | undefined = melangePath === undefined
  ? "MELANGE2_MELANGE is unset (scripts/setup.sh builds melange and prints the export)"
  : !existsSync(melangePath)
  ? `MELANGE2_MELANGE=${melangePath} does not exist (scripts/setup.sh builds it)`
  : undefined;

if (noMelange) console.log(`note: ${noMelange}; the live melange comparisons are skipped`);

/** What melange made of one file: its compiled JSON, or the reason it refused. */
// deno-lint-ignore no-explicit-any
export type MelangeResult = { json: any } | { error: string };

/**
 * `melange compile --arch ARCH [--pipeline-dir DIR] FILE` run in `cwd`.
 * melange logs warnings (no git repository) before its JSON; its error is
 * what follows its ERRO log prefix (joined errors take several lines).
 */
export async function melangeCompile(
  file: string,
  opts: { cwd: string; pipelineDir?: string; arch?: string },
): Promise<MelangeResult> {
  const args = ["compile", "--arch", opts.arch ?? "x86_64"];
  if (opts.pipelineDir) args.push("--pipeline-dir", opts.pipelineDir);
  const out = await new Deno.Command(melangePath!, {
    args: [...args, file],
    cwd: opts.cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.success) return { json: JSON.parse(text) };
  const err = new TextDecoder().decode(out.stderr).trim();
  const at = err.indexOf(" ERRO ");
  const why = at < 0 ? err : err.slice(at + 6).replace(/^failed to compile [^:]*: /, "");
  return { error: why || `exit code ${out.code}` };
}

/** `fn` over `items`, `jobs` at a time, results in order. */
export async function inPool<T, R>(
  items: T[],
  jobs: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return out;
}
