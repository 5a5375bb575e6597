/**
 * Emulation benchmark (issue 23): the C example built cold (a fresh
 * namespace, so every step runs) for x86_64 natively and for aarch64 under
 * QEMU user emulation, one after the other in each round (order alternating),
 * on the same daemon; wall time of each build and the ratio. It tells users
 * what emulation costs and when a native aarch64 daemon pays off.
 *
 *   deno run -A scripts/bench_emulation.ts [--rounds 3] [--examples hello-c.yaml,go-hello.yaml]
 */
import { parseArgs } from "node:util";
import { ensureLocalRepo } from "./local_repo.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    examples: { type: "string", default: "hello-c.yaml" },
    addr: {
      type: "string",
      default: Deno.env.get("BUILDKIT_HOST") ?? "unix:///run/buildkit/buildkitd.sock",
    },
  },
});
const rounds = Number(values.rounds);
const repo = new URL("..", import.meta.url).pathname;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ARCHS = ["x86_64", "aarch64"];

async function timedBuild(example: string, arch: string, work: string): Promise<number> {
  const args = [
    "run",
    "-A",
    `${repo}main.ts`,
    "build",
    `${repo}examples/${example}`,
    "--arch",
    arch,
    "--buildkit-addr",
    values.addr!,
    "--progress",
    "quiet",
    "--vars-file",
    `${work}/vars.yaml`,
    "--out-dir",
    `${work}/out`,
    "--namespace",
    crypto.randomUUID(),
  ];
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "piped" })
    .output();
  const s = (performance.now() - t0) / 1000;
  if (!out.success) {
    throw new Error(
      `build ${example} --arch ${arch} failed:\n${
        new TextDecoder().decode(out.stderr).slice(-2000)
      }`,
    );
  }
  return s;
}

await ensureLocalRepo();
const work = await Deno.makeTempDir({ prefix: "melange2-bench-emulation-" });
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
  const name = new URL(req.url).pathname.split("/").pop()!;
  try {
    return new Response(await Deno.readFile(`${repo}tests/fixtures/releases/${name}`));
  } catch {
    return new Response("not found", { status: 404 });
  }
});
try {
  await Deno.writeTextFile(`${work}/vars.yaml`, `mirror: http://127.0.0.1:${server.addr.port}\n`);
  for (const example of values.examples!.split(",")) {
    // One build of each first: the environments are unpacked and sent once, as in real use.
    for (const arch of ARCHS) await timedBuild(example, arch, work);
    const times: Record<string, number[]> = { x86_64: [], aarch64: [] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [...ARCHS].reverse() : ARCHS;
      for (const arch of order) times[arch].push(await timedBuild(example, arch, work));
    }
    const [native, emulated] = ARCHS.map((a) => median(times[a]));
    console.log(
      `${example}, cold build, median of ${rounds}: x86_64 (native) ${native.toFixed(2)} s, ` +
        `aarch64 (QEMU) ${emulated.toFixed(2)} s, ratio ${(emulated / native).toFixed(2)}x ` +
        `(rounds: ${
          ARCHS.map((a) => `${a} ${times[a].map((t) => t.toFixed(2)).join("/")}`).join("; ")
        })`,
    );
  }
} finally {
  await server.shutdown();
  await Deno.remove(work, { recursive: true });
}
