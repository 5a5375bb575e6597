/**
 * A private buildkitd for tests that need a daemon started now (the shared
 * one detects its platforms once, when it starts) or one restricted to some
 * platforms (a daemon without emulation). Its own state, its own socket.
 */
import { findBuildkitd, socketAnswers } from "../../lib/build/daemon.ts";

/** A running private daemon; stop() ends it and removes its state. */
export interface PrivateDaemon {
  addr: string;
  stop(): Promise<void>;
}

/** Whether a private daemon can be started here (root and an installed buildkitd). */
export const canStartDaemon: boolean = Deno.uid() === 0 && findBuildkitd() !== undefined;

/**
 * Starts buildkitd with its own --root and socket. `platforms` overrides the
 * worker's detected platforms (buildkitd.toml `[worker.oci] platforms`).
 */
export async function startDaemon(opts: { platforms?: string[] } = {}): Promise<PrivateDaemon> {
  const bin = findBuildkitd();
  if (!bin) throw new Error("buildkitd is not installed: bash scripts/setup.sh");
  const dir = await Deno.makeTempDir({ prefix: "melange2-bk-" });
  const addr = `unix://${dir}/buildkitd.sock`;
  const args = [
    "--addr",
    addr,
    "--root",
    `${dir}/state`,
    "--allow-insecure-entitlement",
    "security.insecure",
  ];
  if (opts.platforms) {
    const list = opts.platforms.map((p) => JSON.stringify(p)).join(", ");
    await Deno.writeTextFile(`${dir}/buildkitd.toml`, `[worker.oci]\n  platforms = [${list}]\n`);
    args.push("--config", `${dir}/buildkitd.toml`);
  }
  const child = new Deno.Command(bin, { args, stdout: "null", stderr: "null" }).spawn();
  for (let i = 0; i < 150 && !(await socketAnswers(addr)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await socketAnswers(addr))) {
    child.kill("SIGTERM");
    await child.status;
    throw new Error(`buildkitd at ${addr} did not answer in 15s`);
  }
  return {
    addr,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await new Deno.Command("umount", { args: ["-R", `${dir}/state`], stderr: "null" }).output();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
