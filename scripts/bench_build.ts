/**
 * Build benchmark (issue 7): for each example, a cold build (fresh
 * namespace: every step runs) and a fully cached rebuild, wall time; CLI
 * start-up time; and for the BuildKit part, `melange2 solve` and
 * `buildctl build` of the same `--dump-llb` output side by side (cached).
 * Goals: a cached rebuild within 1.5 s, start-up under 150 ms.
 *
 *   deno run -A scripts/bench_build.ts [--rounds 3]
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { ensureLocalRepo } from "./local_repo.ts";
import { prepareEnvironment } from "../lib/build/environment.ts";
import { environmentSpec } from "../lib/build/plan.ts";
import { hostArch } from "../lib/build/arch.ts";
import { compile, loadConfig } from "../lib/config/mod.ts";
import { LOCAL_NAMES } from "../lib/build/graph.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    addr: {
      type: "string",
      default: Deno.env.get("BUILDKIT_HOST") ?? "unix:///run/buildkit/buildkitd.sock",
    },
  },
});
const rounds = Number(values.rounds);
const addr = values.addr!;
const repo = new URL("..", import.meta.url).pathname;
const buildctl = join(
  Deno.env.get("MELANGE2_BUILDKIT_BIN") ?? "/opt/melange2/buildkit/v0.32.2/bin",
  "buildctl",
);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(cmd: string[], cwd?: string): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  const s = (performance.now() - t0) / 1000;
  if (!out.success) {
    throw new Error(
      `${cmd.join(" ")} failed:\n${new TextDecoder().decode(out.stderr).slice(-2000)}`,
    );
  }
  return s;
}

const melange2 = (...args: string[]) => [Deno.execPath(), "run", "-A", `${repo}main.ts`, ...args];

await ensureLocalRepo();
const work = await Deno.makeTempDir({ prefix: "melange2-bench-build-" });
try {
  const startup: number[] = [];
  for (let i = 0; i < 5; i++) startup.push(await timed(melange2("--version")));
  console.log(
    `start-up (melange2 --version): median ${
      (median(startup) * 1000).toFixed(0)
    } ms (goal < 150 ms)`,
  );

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const name = new URL(req.url).pathname.split("/").pop()!;
    try {
      return new Response(await Deno.readFile(`${repo}tests/fixtures/releases/${name}`));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  await Deno.writeTextFile(`${work}/vars.yaml`, `mirror: http://127.0.0.1:${server.addr.port}\n`);
  try {
    for (const example of ["hello.yaml", "hello-c.yaml", "go-hello.yaml", "greeting.yaml"]) {
      const args = [
        "build",
        `${repo}examples/${example}`,
        "--buildkit-addr",
        addr,
        "--progress",
        "quiet",
        "--vars-file",
        `${work}/vars.yaml`,
        "--out-dir",
        `${work}/out`,
      ];
      const cold = await timed(melange2(...args, "--cache-namespace", crypto.randomUUID()));
      const cached: number[] = [];
      for (let r = 0; r < rounds; r++) cached.push(await timed(melange2(...args)));
      console.log(
        `${example}: cold ${cold.toFixed(2)} s, cached rebuild median ${
          median(cached).toFixed(2)
        } s (goal <= 1.5 s)`,
      );
    }

    // The BuildKit part alone: the same definition through melange2 solve and buildctl build.
    const def = `${work}/hello.pb`;
    await timed(
      melange2(
        "build",
        `${repo}examples/hello.yaml`,
        "--dump-llb",
        def,
        "--out-dir",
        `${work}/out`,
      ),
    );
    // The environment hello's definition names, prepared as the build prepares it.
    const compiled = await compile(await loadConfig(`${repo}examples/hello.yaml`), {
      arch: hostArch(),
    });
    const envDir = (await prepareEnvironment(environmentSpec(compiled, hostArch()))).root;
    const ours: number[] = [], theirs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.push(
        await timed(melange2(
          "solve",
          "--buildkit-addr",
          addr,
          "--progress",
          "quiet",
          "--local",
          `${LOCAL_NAMES.environment}=${envDir}`,
          def,
        )),
      );
      theirs.push(
        await timed([
          "/bin/sh",
          "-c",
          `${buildctl} --addr ${addr} build --progress quiet --local ${LOCAL_NAMES.environment}=${envDir} < ${def}`,
        ]),
      );
    }
    console.log(
      `solve of hello's definition: melange2 ${median(ours).toFixed(2)} s, buildctl ${
        median(theirs).toFixed(2)
      } s, ratio ${(median(ours) / median(theirs)).toFixed(2)}x`,
    );
  } finally {
    await server.shutdown();
  }
} finally {
  await Deno.remove(work, { recursive: true });
}
