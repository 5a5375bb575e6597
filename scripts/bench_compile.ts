/**
 * Compile benchmark (issue 18): `melange2 compile` side by side with Go
 * melange v0.59.1's `compile`, on the Wolfi corpus.
 *
 * - one file per process: each tool started once per file, the two taking
 *   turns, every file of the corpus, ROUNDS rounds; the median wall time of
 *   a run. melange2 runs from source (`deno run -A main.ts`) and from a
 *   `deno bundle` of main.ts (what a release ships).
 * - the whole corpus in one process: `melange2 compile DIR --output-format
 *   jsonl`, ROUNDS times, median (melange compiles one file per process).
 *
 * melange is built from the Go module proxy the first time (into
 * $MELANGE2_TOOLS/bench/melange-v0.59.1, default /opt/melange2): the proxy
 * refuses chainguard.dev/sdk v0.1.164, which melange requires, so a
 * `replace` takes v0.1.163.
 *
 *   deno run -A scripts/bench_compile.ts [CORPUS_DIR] [ROUNDS]
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const repo = new URL("..", import.meta.url).pathname;
const corpus = Deno.args[0] ?? join(repo, "../shared/corpus/wolfi-os");
const ROUNDS = Number(Deno.args[1] ?? 3);
const MELANGE_VERSION = "v0.59.1";
const tools = Deno.env.get("MELANGE2_TOOLS") ?? "/opt/melange2";

async function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** Go melange, built once from the module proxy. */
async function melangeBinary(): Promise<string> {
  const dir = join(tools, "bench", `melange-${MELANGE_VERSION}`);
  const bin = join(dir, "melange");
  if (existsSync(bin)) return bin;
  console.log(`building melange ${MELANGE_VERSION} from the Go module proxy into ${dir}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "go.mod"),
    `module melange2-bench\n\ngo 1.24\n\nreplace chainguard.dev/sdk => chainguard.dev/sdk v0.1.163\n`,
  );
  await run("go", ["get", `chainguard.dev/melange@${MELANGE_VERSION}`], dir);
  await run("go", ["build", "-o", "melange.tmp", "chainguard.dev/melange"], dir);
  Deno.renameSync(join(dir, "melange.tmp"), bin);
  return bin;
}

/** A code-split bundle of main.ts, as a release would ship it. */
async function bundle(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "melange2-bench-bundle-" });
  await run(Deno.execPath(), [
    "bundle",
    "--platform",
    "deno",
    "--code-splitting",
    "--outdir",
    dir,
    join(repo, "main.ts"),
  ]);
  return join(dir, "main.js");
}

/** Wall time of one run, in ms. */
async function timed(cmd: string, args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  await run(cmd, args, cwd);
  return performance.now() - t0;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

if (import.meta.main) {
  const melange = await melangeBinary();
  const bundled = await bundle();
  const files = readdirSync(corpus).filter((f) => f.endsWith(".yaml")).sort();
  const flags = ["--arch", "x86_64", "--pipeline-dir", "pipelines"];
  const kinds: [string, string, (f: string) => string[]][] = [
    ["melange", melange, (f) => ["compile", ...flags, f]],
    ["melange2 (source)", Deno.execPath(), (f) => [
      "run",
      "-A",
      join(repo, "main.ts"),
      "compile",
      f,
      ...flags,
    ]],
    ["melange2 (bundle)", Deno.execPath(), (f) => ["run", "-A", bundled, "compile", f, ...flags]],
  ];
  const times = new Map<string, number[]>(kinds.map(([k]) => [k, []]));
  // One warm-up run each (Deno's code cache, the page cache).
  for (const [, cmd, args] of kinds) await timed(cmd, args(files[0]), corpus);
  for (let r = 0; r < ROUNDS; r++) {
    for (const f of files) {
      for (const [k, cmd, args] of kinds) times.get(k)!.push(await timed(cmd, args(f), corpus));
    }
  }
  const base = median(times.get("melange")!);
  console.log(`one file per process: ${files.length} files x ${ROUNDS} rounds, median wall time`);
  for (const [k] of kinds) {
    const m = median(times.get(k)!);
    console.log(`  ${k.padEnd(18)} ${m.toFixed(0).padStart(4)} ms  ${(m / base).toFixed(2)}x`);
  }
  const whole: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    whole.push(
      await timed(Deno.execPath(), [
        "run",
        "-A",
        bundled,
        "compile",
        ".",
        "--output-format",
        "jsonl",
        ...flags,
      ], corpus),
    );
  }
  const wholeSrc: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    wholeSrc.push(
      await timed(Deno.execPath(), [
        "run",
        "-A",
        join(repo, "main.ts"),
        "compile",
        ".",
        "--output-format",
        "jsonl",
        ...flags,
      ], corpus),
    );
  }
  console.log(`whole corpus in one process (${files.length} files), median of ${ROUNDS}:`);
  console.log(`  melange2 (source)  ${median(wholeSrc).toFixed(0)} ms (goal < 500 ms)`);
  console.log(`  melange2 (bundle)  ${median(whole).toFixed(0)} ms`);
  console.log(`  melange, one process per file: ${(base * files.length).toFixed(0)} ms`);
  await Deno.remove(join(bundled, ".."), { recursive: true });
}
