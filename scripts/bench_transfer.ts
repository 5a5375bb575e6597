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

interface Run {
  seconds: number;
  rssMb: number;
  /** User and system CPU seconds of the client. */
  cpu: string;
}

async function timed(cmd: string[]): Promise<Run> {
  const t0 = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%U %S %M", ...cmd],
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  const err = new TextDecoder().decode(out.stderr).trim().split("\n");
  if (out.code !== 0) throw new Error(`${cmd.join(" ")} failed:\n${err.slice(-10).join("\n")}`);
  const [user, sys, rss] = err.at(-1)!.split(" ");
  return { seconds, rssMb: Number(rss) / 1024, cpu: `${user} s user, ${sys} s sys` };
}

/**
 * Puts the machine in the same state before every run: the daemon keeps what
 * a local source sent (by session key and name), so its cache is emptied and
 * every run uploads the whole tree; then what the last run wrote is flushed
 * and the page cache dropped (as root), and the source tree read back in, so
 * one run's writeback does not land on the next.
 */
async function settle(src: string) {
  await new Deno.Command(buildctl, {
    args: ["--addr", values.addr!, "prune", "--all"],
    stdout: "null",
  }).output();
  await new Deno.Command("sync").output();
  try {
    writeFileSync("/proc/sys/vm/drop_caches", "3\n");
  } catch {
    // Not root: runs may disturb each other more.
  }
  await new Deno.Command("sh", { args: ["-c", `find ${src} -type f -exec cat {} + > /dev/null`] })
    .output();
}

const work = await Deno.makeTempDir({ prefix: "melange2-bench-" });
try {
  console.log(`making ${files} files, ${mib} MiB in ${work}/src`);
  makeTree(`${work}/src`);
  const results: Record<string, Run[]> = {
    melange2: [],
    buildctl: [],
  };
  for (let r = 0; r < rounds; r++) {
    for (const tool of ["melange2", "buildctl"] as const) {
      // A fresh local.unique each run, so the copy is not taken from the cache.
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
      await settle(`${work}/src`);
      const res = await timed(cmd);
      results[tool].push(res);
      console.log(
        `round ${r + 1} ${tool}: ${res.seconds.toFixed(2)} s (${res.cpu}), peak RSS ${
          res.rssMb.toFixed(0)
        } MB`,
      );
      // Outputs stay until the end: on ext4 without a journal, creating files
      // soon after 20,000 were deleted makes the kernel skip the recently
      // freed inodes one by one, seconds of CPU that land on whichever tool
      // runs next.
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
