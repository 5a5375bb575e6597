/**
 * Foreign architectures through QEMU user emulation: the set-up registers
 * Debian's qemu-user-static handlers with binfmt_misc, fix-binary (F) so that
 * they work inside the daemon's containers, and a daemon started afterwards
 * reports the platforms they add.
 */
import { assert, assertEquals } from "./assert.ts";
import { existsSync, readFileSync } from "node:fs";
import { runCli } from "./cli.ts";
import { canStartDaemon, startDaemon } from "./support/daemon.ts";

const BINFMT = "/proc/sys/fs/binfmt_misc";

Deno.test("set-up: QEMU's aarch64 and arm handlers are registered, enabled, fix-binary", () => {
  for (const name of ["qemu-aarch64", "qemu-arm"]) {
    const entry = readFileSync(`${BINFMT}/${name}`, "utf8").split("\n");
    assertEquals(entry[0], "enabled", `${name}: ${entry.join(" | ")}`);
    const flags = entry.find((l) => l.startsWith("flags: "))?.slice("flags: ".length) ?? "";
    assert(flags.includes("F"), `${name} flags "${flags}" lack F`);
    const interpreter = entry.find((l) => l.startsWith("interpreter "))!.split(" ")[1];
    assert(existsSync(interpreter), `${name}: ${interpreter} is missing`);
  }
});

Deno.test({
  name: "buildkit workers: a daemon started after the set-up lists linux/arm64 and arm",
  ignore: !canStartDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const daemon = await startDaemon();
    try {
      const res = await runCli(["buildkit", "workers", "--buildkit-addr", daemon.addr]);
      assertEquals(res.code, 0, res.stderr);
      const platforms = res.stdout.trim().split("\n")[1].split("\t")[1].split(",");
      for (const p of ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le"]) {
        assert(platforms.includes(p), `${p} not in ${platforms.join(",")}`);
      }
    } finally {
      await daemon.stop();
    }
  },
});
