/**
 * Private buildkitd daemons a test can kill (SIGKILL, as a crashed daemon
 * dies) and start again on the same address and state, for the pool tests.
 */
import { findBuildkitd, socketAnswers } from "../../lib/build/daemon.ts";

/** A private daemon the test controls. */
export interface OwnDaemon {
  addr: string;
  /** Kills it at once (SIGKILL). */
  kill(): Promise<void>;
  /** Starts it again (same socket, same state). */
  restart(): Promise<void>;
  /** Ends it and removes its state. */
  stop(): Promise<void>;
}

/** Starts a daemon in a new temporary directory. */
export async function ownDaemon(): Promise<OwnDaemon> {
  const bin = findBuildkitd();
  if (!bin) throw new Error("buildkitd is not installed: bash scripts/setup.sh");
  const dir = await Deno.makeTempDir({ prefix: "melange2-pool-" });
  const sock = `${dir}/buildkitd.sock`;
  const addr = `unix://${sock}`;
  let child: Deno.ChildProcess | undefined;
  const start = async () => {
    await Deno.remove(sock).catch(() => {});
    child = new Deno.Command(bin, {
      args: ["--addr", addr, "--root", `${dir}/state`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 300 && !(await socketAnswers(addr)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!(await socketAnswers(addr))) throw new Error(`buildkitd at ${addr} did not answer in 30s`);
  };
  const kill = async () => {
    if (!child) return;
    child.kill("SIGKILL");
    await child.status;
    child = undefined;
  };
  await start();
  return {
    addr,
    kill,
    restart: start,
    async stop() {
      if (child) {
        child.kill("SIGTERM");
        await child.status;
        child = undefined;
      }
      // A daemon killed under a build leaves its container's mounts: unmount all, deepest first.
      const mounts = Deno.readTextFileSync("/proc/self/mounts").split("\n")
        .map((l) => l.split(" ")[1]).filter((m) => m?.startsWith(`${dir}/`))
        .sort((a, b) => b.length - a.length);
      for (const m of mounts) {
        await new Deno.Command("umount", { args: ["-l", m], stderr: "null" }).output();
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
