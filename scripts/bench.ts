/**
 * `deno task bench`: runs every benchmark script (scripts/bench_*.ts) in turn,
 * or only those named: `deno task bench llb config`.
 *
 * Each script measures melange2 side by side with its reference tool in one
 * run and prints ratios; figures are recorded by hand in docs/benchmarks.md.
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The benchmark scripts present, by short name (bench_llb.ts -> llb). */
export function benchmarks(): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of Deno.readDirSync(here)) {
    const m = /^bench_(.+)\.ts$/.exec(entry.name);
    if (entry.isFile && m) found.set(m[1], join(here, entry.name));
  }
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

if (import.meta.main) {
  const all = benchmarks();
  const wanted = Deno.args.length ? Deno.args : [...all.keys()];
  let failed = 0;
  for (const name of wanted) {
    const script = all.get(name);
    if (!script) {
      console.error(`no benchmark named ${name} (have: ${[...all.keys()].join(", ")})`);
      Deno.exit(2);
    }
    console.log(`\n=== ${basename(script)}`);
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) failed++;
  }
  if (failed) Deno.exit(1);
}
