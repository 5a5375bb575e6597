/**
 * Marshalling benchmark: the 1,000-op graph of the v0.32 vectors
 * (`perf-1000`: execs with cache mounts, mkfile, copy and mkdir file ops),
 * built and marshalled to `pb.Definition` bytes from scratch each round, by
 * melange2 and by BuildKit's own Go client/llb v0.32.2 (scripts/llbref,
 * built by the set-up) in the same run. Compares process CPU time per round
 * (median of 15 after 3 warm-up rounds) and checks both made the same bytes.
 * Goal (issue 17): at most 0.5x Go's CPU time.
 */
import process from "node:process";
import { marshal } from "../lib/llb/mod.ts";
import { perf1000 } from "../tests/llb/vector_graphs.ts";

const ROUNDS = 15;
const WARMUP = 3;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** Median CPU and wall milliseconds of melange2 building and marshalling perf-1000. */
function ours(): { cpu: number; wall: number; size: number } {
  const cpu: number[] = [], wall: number[] = [];
  let size = 0;
  for (let i = 0; i < ROUNDS + WARMUP; i++) {
    const c0 = cpuMs(), t0 = performance.now();
    const bytes = marshal(perf1000(), { localUniqueId: "lv-unique-id" }).bytes;
    const c1 = cpuMs(), t1 = performance.now();
    if (i < WARMUP) continue;
    cpu.push(c1 - c0);
    wall.push(t1 - t0);
    size = bytes.length;
  }
  return { cpu: median(cpu), wall: median(wall), size };
}

/** The same measured by llbref with Go's client/llb; undefined (with a note) without it. */
async function go(): Promise<{ cpu: number; wall: number; size: number } | undefined> {
  const bin = Deno.env.get("MELANGE2_LLBREF") ?? "/opt/melange2/llbref/llbref";
  try {
    const out = await new Deno.Command(bin, { args: ["bench", String(ROUNDS)] }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    const [cpu, wall, size] = new TextDecoder().decode(out.stdout).trim().split(" ").map(Number);
    return { cpu, wall, size };
  } catch (err) {
    console.log(
      `note: no Go reference run (${(err as Error).message.split("\n")[0]}); run scripts/setup.sh`,
    );
    return undefined;
  }
}

if (import.meta.main) {
  const reference = await go();
  const mine = ours();
  console.log(
    `melange2:      median ${mine.cpu.toFixed(1)} ms CPU, ${
      mine.wall.toFixed(1)
    } ms wall, ${mine.size} bytes`,
  );
  if (reference) {
    console.log(
      `Go client/llb: median ${reference.cpu.toFixed(1)} ms CPU, ${
        reference.wall.toFixed(1)
      } ms wall, ${reference.size} bytes`,
    );
    if (reference.size !== mine.size) console.log("WARNING: the two definitions differ in size");
    console.log(
      `ratio melange2 / Go (CPU): ${(mine.cpu / reference.cpu).toFixed(2)}x (goal <= 0.5x)`,
    );
  }
}
