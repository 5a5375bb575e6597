/**
 * A private buildkitd for tests that need a daemon started now (the shared
 * one detects its platforms once, when it starts) or one restricted to some
 * platforms (a daemon without emulation). Its own state, its own socket.
 */
import { findBuildkitd, socketAnswers } from "../../lib/build/daemon.ts";
import { Client } from "../../lib/buildkit/client.ts";

/** A running private daemon; stop() ends it and removes its state. */
export interface PrivateDaemon {
  addr: string;
  /** Its --root (state directory). */
  root?: string;
  stop(): Promise<void>;
}

/** Whether a private daemon can be started here (root and an installed buildkitd). */
export const canStartDaemon: boolean = Deno.uid() === 0 && findBuildkitd() !== undefined;

/**
 * Starts buildkitd with its own --root and socket. With `noEmulation`, the
 * daemon finds no emulator: it detects the platforms it runs by executing
 * small test programs in $TMPDIR, which is then a noexec tmpfs of a mount
 * namespace of its own (binfmt_misc itself is the machine's), so it reports
 * only this machine's platform, as a daemon on a machine without QEMU does.
 * With `rootSize` (`64m`), its --root is a tmpfs of that size (its path is
 * `root`): a daemon whose disk fills up.
 */
export async function startDaemon(
  opts: { noEmulation?: boolean; rootSize?: string } = {},
): Promise<PrivateDaemon> {
  const bin = findBuildkitd();
  if (!bin) throw new Error("buildkitd is not installed: bash scripts/setup.sh");
  const dir = await Deno.makeTempDir({ prefix: "melange2-bk-" });
  const addr = `unix://${dir}/buildkitd.sock`;
  const daemonArgs = [
    "--addr",
    addr,
    "--root",
    `${dir}/state`,
    "--allow-insecure-entitlement",
    "security.insecure",
  ];
  let cmd = bin;
  let args = daemonArgs;
  const mounts: string[] = [];
  if (opts.noEmulation) {
    await Deno.mkdir(`${dir}/noexec`);
    mounts.push(`mount -t tmpfs -o noexec tmpfs "$0/noexec" && export TMPDIR="$0/noexec"`);
  }
  if (opts.rootSize) {
    // Mounted here, not in a namespace of the daemon's: the test can fill it.
    await Deno.mkdir(`${dir}/state`);
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", `size=${opts.rootSize}`, "tmpfs", `${dir}/state`],
    }).output();
    if (!mount.success) throw new Error(`mounting a tmpfs at ${dir}/state failed`);
  }
  if (mounts.length) {
    cmd = "unshare";
    args = [
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      `${mounts.join(" && ")} && exec "$@"`,
      dir,
      bin,
      ...daemonArgs,
    ];
  }
  const child = new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).spawn();
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
    root: `${dir}/state`,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // It has already exited (a daemon whose disk was full may).
      }
      await child.status;
      await new Deno.Command("umount", { args: ["-R", `${dir}/state`], stderr: "null" }).output();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * A daemon that runs linux/arm64: the tests' own (ADDR) when it does, else a
 * private one started now (the shared one may have started before the
 * set-up registered QEMU, and only looks for emulators when it starts).
 */
export async function arm64Daemon(addr: string): Promise<PrivateDaemon> {
  const client = Client.connect({ addr });
  try {
    const workers = await client.listWorkers();
    if (workers.some((w) => (w.platforms ?? []).some((p: any) => p.Architecture === "arm64"))) {
      return { addr, stop: () => Promise.resolve() };
    }
  } finally {
    client.close();
  }
  return await startDaemon();
}
