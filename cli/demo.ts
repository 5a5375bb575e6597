/**
 * `melange2 demo`: the quick start's proof of life. Makes a tiny root file
 * system from the host's static busybox, runs a command in it on BuildKit,
 * exports the result and prints it.
 */
import type { Command } from "commander";
import type { ProgressMode } from "../lib/buildkit/progress.ts";
import { addConnectFlags, connectOptions, interruptSignal } from "./buildkit_flags.ts";
import { action } from "./run.ts";

/** Registers `demo`. */
export function register(program: Command): void {
  addConnectFlags(
    program.command("demo").description("Solve a small graph on BuildKit and show its output")
      .option("--progress <mode>", "auto, tty, plain, rawjson or quiet", "plain"),
  ).action(action(async (opts: Record<string, any>) => {
    // Loaded here, not at start-up: gRPC reads the environment as it loads, and help needs none.
    const { Client, ProgressWriter } = await import("../lib/buildkit/mod.ts");
    const { ensureDaemon } = await import("../lib/build/daemon.ts");
    const { localUniqueId, sharedKey } = await import("../lib/buildkit/identity.ts");
    const { busyboxRootfs } = await import("../lib/build/busybox.ts");
    const { local, marshal, scratch } = await import("../lib/llb/mod.ts");
    const work = await Deno.makeTempDir({ prefix: "melange2-demo-" });
    const interrupt = interruptSignal();
    const { addr } = await ensureDaemon(opts.buildkitAddr ?? Deno.env.get("BUILDKIT_HOST"), {
      log: (l) => console.error(l),
    });
    const client = Client.connect({ ...connectOptions(opts), addr });
    try {
      await busyboxRootfs(`${work}/rootfs`);
      const rootfs = scratch().copy(
        local("rootfs", { uniqueId: localUniqueId(`${work}/rootfs`) }),
        "/",
        "/",
        {
          copyDirContentsOnly: true,
          customName: "copy busybox rootfs",
        },
      );
      const ran = rootfs.run({
        shell:
          'mkdir -p /out && echo "hello from BuildKit on $(uname -m)" > /out/hello.txt && cat /out/hello.txt',
        customName: "say hello",
        ignoreCache: true,
      });
      const out = scratch().copy(ran.root(), "/out", "/", {
        copyDirContentsOnly: true,
        customName: "export /out",
      });
      await client.solve({
        definition: marshal(out).bytes,
        locals: { rootfs: `${work}/rootfs` },
        exports: [{ type: "local", dest: `${work}/out` }],
        progress: new ProgressWriter(opts.progress as ProgressMode),
        signal: interrupt.signal,
        sharedKey: sharedKey([`${work}/rootfs`]),
      });
      console.log(`exported: ${(await Deno.readTextFile(`${work}/out/hello.txt`)).trim()}`);
    } finally {
      interrupt.dispose();
      client.close();
      await Deno.remove(work, { recursive: true });
    }
  }));
}
