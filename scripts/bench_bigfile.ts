/**
 * Big build files benchmark (issue 20: "every rejection or acceptance of a
 * 4 MB build file under 2 s"): build files of about 4 MB, of every shape the
 * hostile-input suite worries about, each given to `melange2 compile` in a
 * fresh process (start-up, reading, YAML, validation, substitution and the
 * LLB included), ROUNDS times, the median wall time and the peak RSS
 * (GNU time). Go melange v0.59.1's `compile` runs the same files beside it
 * when $MELANGE2_TOOLS/bench/melange-v0.59.1/melange exists (made by
 * `deno task bench compile`), for the ratio.
 *
 *   deno run -A scripts/bench_bigfile.ts [ROUNDS]
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const repo = new URL("..", import.meta.url).pathname;
const ROUNDS = Number(Deno.args[0] ?? 3);
const tools = Deno.env.get("MELANGE2_TOOLS") ?? "/opt/melange2";
const melange = join(tools, "bench", "melange-v0.59.1", "melange");
const SIZE = 4 << 20;
/** Seconds after which a run is stopped and reported as such. */
const LIMIT = 60;

const HEAD = "package:\n  name: big\n  version: 1.0.0\n  epoch: 0\n";

/** Repeats `unit(i)` until the text reaches SIZE. */
function fill(unit: (i: number) => string, head = ""): string {
  const parts = [head];
  let n = head.length;
  for (let i = 0; n < SIZE; i++) {
    const u = unit(i);
    parts.push(u);
    n += u.length;
  }
  return parts.join("");
}

/** The files, by name: whether melange2 should accept each, and its text. */
function cases(): [string, boolean, string | Uint8Array][] {
  const pad = "x".repeat(900);
  return [
    [
      "one 4 MB runs: script",
      true,
      fill((i) => `      echo line ${i} ${pad}\n`, `${HEAD}pipeline:\n  - runs: |\n`),
    ],
    [
      "4,000 steps of 1 KB",
      true,
      fill((i) => `  - runs: echo ${i} ${pad}\n`, `${HEAD}pipeline:\n`).split("\n").slice(
        0,
        4_000 + 5,
      ).join("\n") + "\n",
    ],
    [
      "200k vars, one used (over the line limit)",
      false,
      fill(
        (i) => `  v${i}: value-${i}\n`,
        `${HEAD}pipeline:\n  - runs: echo \${{vars.v1}}\nvars:\n`,
      ),
    ],
    ["a 3,000-var chain", true, chain()],
    ["900 subpackages of 4 KB", true, subpackages()],
    [
      "4 MB of comments",
      true,
      fill((i) => `# comment ${i} ${pad}\n`, `${HEAD}pipeline:\n  - runs: echo hi\n`),
    ],
    [
      "one 4 MB description line",
      true,
      `${HEAD.replace("  epoch: 0\n", "")}  epoch: 0\n  description: ${
        "d".repeat(SIZE)
      }\npipeline:\n  - runs: echo hi\n`,
    ],
    [
      "10,000 steps (over the limit)",
      false,
      fill((i) => `  - runs: echo ${i} ${"y".repeat(400)}\n`, `${HEAD}pipeline:\n`),
    ],
    [
      "YAML error at the end",
      false,
      fill((i) => `      echo ${i} ${pad}\n`, `${HEAD}pipeline:\n  - runs: |\n`) + "broken: [\n",
    ],
    ["alias bomb", false, aliasBomb()],
    [
      "bad version after 4 MB",
      false,
      fill((i) => `# ${i} ${pad}\n`, "pipeline:\n  - runs: echo hi\n") +
      "package:\n  name: big\n  version: 1.0 beta\n",
    ],
    [
      "field injection in a description",
      false,
      `${HEAD}  description: "a\\ndepend = evil ${
        "z".repeat(SIZE)
      }"\npipeline:\n  - runs: echo hi\n`,
    ],
    ["(a+)+$ var-transform on 4 MB (over the 64 KiB limit)", false, backtrack()],
    [
      "invalid UTF-8 at the end",
      false,
      new Uint8Array([
        ...new TextEncoder().encode(
          fill((i) => `# ${i} ${pad}\n`, `${HEAD}pipeline:\n  - runs: echo hi\n`),
        ),
        0x23,
        0x20,
        0xff,
        0x0a,
      ]),
    ],
  ];
}

function chain(): string {
  const vars = ["  c0: start\n"];
  for (let i = 1; i < 3000; i++) vars.push(`  c${i}: \${{vars.c${i - 1}}}-${i}\n`);
  const head = `${HEAD}pipeline:\n  - runs: echo "\${{vars.c2999}}"\nvars:\n${vars.join("")}`;
  return fill((i) => `# ${i} ${"x".repeat(900)}\n`, head);
}

function subpackages(): string {
  const body = `      - runs: |\n${
    `          echo sub \${{targets.subpkgdir}} ${"s".repeat(900)}\n`.repeat(4)
  }`;
  return fill(
    (i) => `  - name: big-sub${i}\n    pipeline:\n${body}`,
    `${HEAD}pipeline:\n  - runs: echo hi\nsubpackages:\n`,
  ).split("  - name: ").slice(0, 901).join("  - name: ");
}

function aliasBomb(): string {
  const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 10; i++) {
    lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]`);
  }
  return fill((i) => `# ${i} ${"x".repeat(900)}\n`, `${HEAD}x-bomb:\n  ${lines.join("\n  ")}\n`);
}

function backtrack(): string {
  return `${HEAD}pipeline:\n  - runs: echo \${{vars.out}}\nvars:\n  in: "${
    "a".repeat(SIZE - 200)
  }!"\n` +
    `var-transforms:\n  - from: \${{vars.in}}\n    match: (a+)+$\n    replace: b\n    to: out\n`;
}

interface Sample {
  ms: number;
  /** user + system CPU time (the machine is shared: wall time moves with its load). */
  cpuMs: number;
  rssKb: number;
  code: number;
  stderr: string;
}

/** One run under GNU time: wall ms, peak RSS, exit code, the last line of stderr. */
async function timed(cmd: string, args: string[], cwd: string): Promise<Sample> {
  const stats = join(cwd, "time.out");
  const out = await new Deno.Command("/usr/bin/time", {
    // A run is stopped after LIMIT seconds (melange takes minutes over some of these).
    args: ["-o", stats, "-f", "%e %U %S %M %x", "timeout", String(LIMIT), cmd, ...args],
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  const [e, u, sy, m, x] = Deno.readTextFileSync(stats).trim().split("\n").pop()!.split(" ");
  const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
  return {
    ms: Number(e) * 1000,
    cpuMs: (Number(u) + Number(sy)) * 1000,
    rssKb: Number(m),
    code: Number(x),
    stderr: lines.at(-1) ?? "",
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (import.meta.main) {
  const dir = mkdtempSync(join(tmpdir(), "melange2-bigfile-"));
  const haveMelange = existsSync(melange);
  if (!haveMelange) {
    console.log(`(no ${melange}: melange2 alone; deno task bench compile makes it)`);
  }
  try {
    const rows: string[] = [
      "| file | size | melange2 | wall | CPU | peak RSS | melange wall | melange CPU | melange | CPU ratio |",
      "| ---- | ---- | -------- | ---- | --- | -------- | ------------ | ----------- | ------- | --------- |",
    ];
    console.log(rows.join("\n"));
    let slow = 0;
    for (const [name, accept, text] of cases()) {
      const file = join(dir, "big.yaml");
      writeFileSync(file, text);
      const size = statSync(file).size;
      const ours: Sample[] = [];
      const theirs: Sample[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        ours.push(
          await timed(Deno.execPath(), ["run", "-A", join(repo, "main.ts"), "compile", file], dir),
        );
        if (haveMelange) {
          theirs.push(await timed(melange, ["compile", "--arch", "x86_64", file], dir));
        }
      }
      const ms = median(ours.map((s) => s.ms));
      const cpu = median(ours.map((s) => s.cpuMs));
      const rss = Math.max(...ours.map((s) => s.rssKb)) / 1024;
      const verdict = ours[0].code === 0 ? "accepted" : "refused";
      if (ms > 2000) slow++;
      const want = accept ? "accepted" : "refused";
      const theirMs = median(theirs.map((s) => s.ms));
      const theirCpu = median(theirs.map((s) => s.cpuMs));
      const them = haveMelange
        ? `${theirMs.toFixed(0)} ms | ${theirCpu.toFixed(0)} ms | ${
          theirs[0].code === 124
            ? `stopped after ${LIMIT} s`
            : theirs[0].code === 0
            ? "accepted"
            : "refused"
        } | ${(cpu / theirCpu).toFixed(2)}x`
        : "- | - | - | -";
      rows.push(
        `| ${name} | ${(size / 1048576).toFixed(2)} MiB | ${verdict}${
          verdict === want ? "" : ` (expected ${want})`
        } | ${ms.toFixed(0)} ms | ${cpu.toFixed(0)} ms | ${rss.toFixed(0)} MB | ${them} |`,
      );
      console.log(rows.at(-1));
      if (verdict === "refused") console.log(`    ${ours[0].stderr.slice(0, 200)}`);
    }
    const load = Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
    console.log(
      `\n${ROUNDS} rounds each, load average ${load}, median wall, peak RSS; ${slow} over 2 s (goal: none)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
