/**
 * Marshalling benchmark: a 1,000-op graph (a chain of execs with cache mounts
 * and file ops), built and marshalled from scratch each round. Prints the
 * median and the spread. Goal (issue 3): under 50 ms.
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
  console.log(
    `marshal ${ops} ops: median ${median.toFixed(1)} ms (min ${times[0].toFixed(1)}, max ${
      times.at(-1)!.toFixed(1)
    }) over ${rounds} rounds; goal < 50 ms`,
  );
}
