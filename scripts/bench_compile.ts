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
 * melange is $MELANGE2_MELANGE (scripts/setup.sh builds it); without it,
 * it is built from the Go module proxy the first time (into
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

/** Go melange: $MELANGE2_MELANGE, or built once from the module proxy (into $MELANGE2_TOOLS/bench). */
export async function melangeBinary(): Promise<string> {
  const set = Deno.env.get("MELANGE2_MELANGE");
  if (set) {
    if (!existsSync(set)) throw new Error(`MELANGE2_MELANGE=${set} does not exist`);
    return set;
  }
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

/** Wall and CPU (user + system) time of one run, in ms, as bash's `time` tells them. */
async function timed(cmd: string, args: string[], cwd: string): Promise<Sample> {
  const script = 'TIMEFORMAT="%3R %3U %3S"; { time "$@" >/dev/null 2>&1; } 2>&1';
  const out = await new Deno.Command("bash", {
    args: ["-c", script, "bash", cmd, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed`);
  const [real, user, sys] = new TextDecoder().decode(out.stdout).trim().split(" ").map(Number);
  return { wall: real * 1000, cpu: (user + sys) * 1000 };
}

interface Sample {
  wall: number;
  cpu: number;
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
  const times = new Map<string, Sample[]>(kinds.map(([k]) => [k, []]));
  // One warm-up run each (Deno's code cache, the page cache).
  for (const [, cmd, args] of kinds) await timed(cmd, args(files[0]), corpus);
  for (let r = 0; r < ROUNDS; r++) {
    for (const f of files) {
      for (const [k, cmd, args] of kinds) times.get(k)!.push(await timed(cmd, args(f), corpus));
    }
  }
  const of = (k: string, what: keyof Sample) => median(times.get(k)!.map((t) => t[what]));
  const [baseWall, baseCpu] = [of("melange", "wall"), of("melange", "cpu")];
  console.log(`one file per process: ${files.length} files x ${ROUNDS} rounds, medians`);
  console.log(`  ${"".padEnd(18)} wall            cpu (user+sys)`);
  for (const [k] of kinds) {
    const [w, c] = [of(k, "wall"), of(k, "cpu")];
    console.log(
      `  ${k.padEnd(18)} ${w.toFixed(0).padStart(4)} ms ${(w / baseWall).toFixed(2)}x   ` +
        `${c.toFixed(0).padStart(4)} ms ${(c / baseCpu).toFixed(2)}x`,
    );
  }
  const base = baseWall;
  const whole: Sample[] = [];
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
  const wholeSrc: Sample[] = [];
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
  const show = (xs: Sample[]) =>
    `${median(xs.map((x) => x.wall)).toFixed(0)} ms wall, ${
      median(xs.map((x) => x.cpu)).toFixed(0)
    } ms cpu`;
  console.log(`  melange2 (source)  ${show(wholeSrc)} (goal < 500 ms)`);
  console.log(`  melange2 (bundle)  ${show(whole)}`);
  console.log(`  melange, one process per file: ${(base * files.length).toFixed(0)} ms`);
  await Deno.remove(join(bundled, ".."), { recursive: true });
}
