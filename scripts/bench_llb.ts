/**
 * Marshalling benchmark: a 1,000-op graph (a chain of execs with cache mounts
 * and file ops), built and marshalled from scratch each round. Prints the
 * median and the spread, then the same graph marshalled by BuildKit's own Go
 * client/llb (scripts/bench_llb_go, built with the machine's Go) and the
 * ratio. Goal (issue 3): under 50 ms.
 */
import { image, marshal, mkdir, type State } from "../lib/llb/mod.ts";

/** Builds the benchmark graph: `n` ops alternating exec and file ops. */
export function chain(n: number): State {
  let st: State = image("busybox");
  for (let i = 0; i < n / 2; i++) {
    st = st.run({
      shell: `echo step ${i} >> /log`,
      env: { STEP: String(i), HOME: "/root" },
      mounts: [
        { type: "cache", target: "/root/.cache/go-build", id: "go-build" },
        { type: "cache", target: "/root/go/pkg/mod", id: "go-mod", sharing: "locked" },
      ],
      customName: `step ${i}`,
    }).root().file(
      mkdir(`/out/${i}`, 0o755, { parents: true }).mkfile(`/out/${i}/f`, 0o644, `${i}`),
    );
  }
  return st;
}

if (import.meta.main) {
  const rounds = 15;
  const times: number[] = [];
  let ops = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const def = marshal(chain(1000));
    times.push(performance.now() - t0);
    ops = def.def.length;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(rounds / 2)];
  const spread = `min ${times[0].toFixed(1)}, max ${times.at(-1)!.toFixed(1)}`;
  console.log(`melange2: ${ops} ops, median ${median.toFixed(1)} ms (${spread}); goal < 50 ms`);
  const go = await goReference();
  if (go) {
    console.log(`BuildKit Go client/llb: ${go.ops} ops, median ${go.ms.toFixed(1)} ms`);
    console.log(`ratio melange2 / Go: ${(median / go.ms).toFixed(2)}x`);
  }
}

/** Builds and runs the Go reference; undefined (with a note) when Go is missing. */
async function goReference(): Promise<{ ops: number; ms: number } | undefined> {
  const dir = new URL("./bench_llb_go/", import.meta.url).pathname;
  const bin = `${await Deno.makeTempDir()}/bench_llb_go`;
  try {
    const build = await new Deno.Command("go", {
      args: ["build", "-o", bin, "."],
      cwd: dir,
      env: { GOFLAGS: "-mod=mod" },
      stderr: "piped",
    }).output();
    if (build.code !== 0) throw new Error(new TextDecoder().decode(build.stderr));
    const out = await new Deno.Command(bin, { stdout: "piped" }).output();
    const [count, ms] = new TextDecoder().decode(out.stdout).trim().split(" ");
    return { ops: Number(count), ms: Number(ms) };
  } catch (err) {
    console.log(`note: no Go reference run (${(err as Error).message.split("\n")[0]})`);
    return undefined;
  }
}
