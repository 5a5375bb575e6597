/**
 * Transfer benchmark (issue 2): upload a 1 GiB, 20,000-file tree to BuildKit
 * and export it back, with `melange2 solve` and with `buildctl build` on the
 * same daemon and the same definition, alternating, in one run. Prints wall
 * times, the ratio, and peak RSS of each client (from /usr/bin/time).
 * Goal: within 1.1x of buildctl's wall time, peak RSS under 300 MB.
 *
 *   deno run -A scripts/bench_transfer.ts [--rounds 3] [--files 20000] [--mib 1024]
 */
import { parseArgs } from "node:util";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { local, marshal, scratch } from "../lib/llb/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    files: { type: "string", default: "20000" },
    mib: { type: "string", default: "1024" },
    addr: {
      type: "string",
      default: Deno.env.get("BUILDKIT_HOST") ?? "unix:///run/buildkit/buildkitd.sock",
    },
  },
});
const rounds = Number(values.rounds), files = Number(values.files), mib = Number(values.mib);
const buildctl = join(
  Deno.env.get("MELANGE2_BUILDKIT_BIN") ?? "/opt/melange2/buildkit/v0.32.2/bin",
  "buildctl",
);
const repo = new URL("..", import.meta.url).pathname;

/** Makes `files` files totalling `mib` MiB in 200 directories, with varied sizes. */
function makeTree(dir: string) {
  const total = mib * 1024 * 1024;
  const per = Math.floor(total / files);
  const block = crypto.getRandomValues(new Uint8Array(65536));
  const big = new Uint8Array(per * 2);
  for (let i = 0; i < big.length; i += block.length) {
    big.set(block.subarray(0, Math.min(block.length, big.length - i)), i);
  }
  for (let i = 0; i < files; i++) {
    const d = join(dir, `d${i % 200}`);
    if (i < 200) mkdirSync(d, { recursive: true });
    const size = i % 2 ? Math.floor(per * 1.5) : Math.floor(per * 0.5);
    const data = big.subarray(0, size);
    data[0] = i & 0xff;
    data[1] = (i >> 8) & 0xff;
    writeFileSync(join(d, `f${i}.bin`), data);
  }
}

async function timed(cmd: string[]): Promise<{ seconds: number; rssMb: number }> {
  const t0 = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", ...cmd],
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  const err = new TextDecoder().decode(out.stderr).trim().split("\n");
  if (out.code !== 0) throw new Error(`${cmd.join(" ")} failed:\n${err.slice(-10).join("\n")}`);
  return { seconds, rssMb: Number(err.at(-1)) / 1024 };
}

const work = await Deno.makeTempDir({ prefix: "melange2-bench-" });
try {
  console.log(`making ${files} files, ${mib} MiB in ${work}/src`);
  makeTree(`${work}/src`);
  const results: Record<string, { seconds: number; rssMb: number }[]> = {
    melange2: [],
    buildctl: [],
  };
  for (let r = 0; r < rounds; r++) {
    for (const tool of ["melange2", "buildctl"] as const) {
      // A fresh local.unique each run: every run uploads everything.
      const def = marshal(
        scratch().copy(
          local("src", { uniqueId: `${tool}-${r}-${crypto.randomUUID()}` }),
          "/",
          "/",
          {
            copyDirContentsOnly: true,
          },
        ),
      ).bytes;
      const defFile = `${work}/def-${tool}-${r}.pb`;
      writeFileSync(defFile, def);
      const dest = `${work}/out-${tool}-${r}`;
      const cmd = tool === "melange2"
        ? [
          Deno.execPath(),
          "run",
          "-A",
          `${repo}main.ts`,
          "solve",
          "--buildkit-addr",
          values.addr!,
          "--progress",
          "quiet",
          "--local",
          `src=${work}/src`,
          "--output",
          `type=local,dest=${dest}`,
          defFile,
        ]
        : [
          "/bin/sh",
          "-c",
          `${buildctl} --addr ${values.addr} build --progress quiet --local src=${work}/src --output type=local,dest=${dest} < ${defFile}`,
        ];
      const res = await timed(cmd);
      results[tool].push(res);
      console.log(
        `round ${r + 1} ${tool}: ${res.seconds.toFixed(2)} s, peak RSS ${res.rssMb.toFixed(0)} MB`,
      );
      rmSync(dest, { recursive: true, force: true });
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = median(results.melange2.map((x) => x.seconds));
  const b = median(results.buildctl.map((x) => x.seconds));
  const rss = Math.max(...results.melange2.map((x) => x.rssMb));
  const rssB = Math.max(...results.buildctl.map((x) => x.rssMb));
  console.log(
    `median wall: melange2 ${m.toFixed(2)} s, buildctl ${b.toFixed(2)} s, ratio ${
      (m / b).toFixed(2)
    }x (goal <= 1.1x)`,
  );
  console.log(
    `peak RSS: melange2 ${rss.toFixed(0)} MB (goal < 300 MB), buildctl ${rssB.toFixed(0)} MB`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
