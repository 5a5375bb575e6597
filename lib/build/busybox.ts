/**
 * A minimal root file system from the host's static busybox: enough to run
 * shell steps on BuildKit without any package repository (the demo, tests).
 */
import { existsSync } from "node:fs";
import { UserError } from "../errors.ts";

/** The applets linked into /bin: what shell steps commonly call. */
export const BUSYBOX_APPLETS = [
  "sh",
  "echo",
  "cat",
  "uname",
  "mkdir",
  "ls",
  "cp",
  "mv",
  "rm",
  "ln",
  "chmod",
  "sleep",
  "test",
  "[",
  "printf",
  "sed",
  "grep",
  "head",
  "tail",
  "wc",
  "env",
  "true",
  "false",
  "touch",
  "find",
  "tar",
  "gzip",
];

/** Writes a busybox root file system (busybox plus /bin/sh) into `dir`. */
export async function busyboxRootfs(dir: string, busybox = "/bin/busybox"): Promise<void> {
  if (!existsSync(busybox)) {
    throw new UserError(
      `${busybox} is missing: install Debian's busybox-static (bash scripts/setup.sh does)`,
    );
  }
  await Deno.mkdir(`${dir}/bin`, { recursive: true });
  await Deno.mkdir(`${dir}/etc`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/etc/passwd`,
    "root:x:0:0:root:/root:/bin/sh\nbuild:x:1000:1000:build:/home/build:/bin/sh\n",
  );
  await Deno.writeTextFile(`${dir}/etc/group`, "root:x:0:\nbuild:x:1000:\n");
  await Deno.copyFile(busybox, `${dir}/bin/busybox`);
  await Deno.chmod(`${dir}/bin/busybox`, 0o755);
  for (const applet of BUSYBOX_APPLETS) {
    await Deno.symlink("busybox", `${dir}/bin/${applet}`);
  }
}
