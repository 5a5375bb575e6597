/**
 * The V8 flags melange2 runs with when it talks to BuildKit. A session
 * moves every transferred byte through two HTTP/2 layers, each allocating
 * short-lived buffers; with V8's default young generation (16 MiB semi-spaces)
 * those pile up between scavenges, and a 1 GiB export peaked near 300 MB of
 * RSS. 4 MiB semi-spaces collect them sooner: about 200 MB, and less CPU.
 * Those buffers are ArrayBuffers, and V8 starts a full mark-compact each
 * time their memory grows by up to 1.1x (its default external-memory
 * growing factor) over what the last one left: a 1 GiB upload ran 46-62 of
 * them, with ~2 s of marking on V8's worker threads. Up to 2x runs 14-17
 * and saves ~2 s of CPU; 4x saved a little more but let garbage buffers
 * pile up to 310-342 MB of RSS in some runs (2x: 190-212 MB).
 *
 * V8 reads these flags only at start-up (setting them later has no effect),
 * so a compiled binary carries them (scripts/compile.ts) and a run from
 * source starts itself again with them, in place (execve: same pid, same
 * descriptors and signals).
 */
import { execve } from "../lib/libc.ts";

/** The flags, as `--v8-flags` takes them. */
export const V8_FLAGS = "--max-semi-space-size=4,--external-memory-max-growing-factor=2";

/** Commands that open a session with the daemon. */
const SESSION_COMMANDS = new Set(["build", "test", "solve"]);

/**
 * The command line to start again with, given this process's (`cmdline`,
 * as /proc/self/cmdline lists it) and the script's arguments; undefined when
 * there is no need: not a session command, or V8 flags already chosen.
 */
export function relaunchArgv(cmdline: string[], args: string[]): string[] | undefined {
  const command = args.find((a) => !a.startsWith("-"));
  if (!command || !SESSION_COMMANDS.has(command)) return undefined;
  if (cmdline.some((a) => a === "--v8-flags" || a.startsWith("--v8-flags="))) return undefined;
  const flag = `--v8-flags=${V8_FLAGS}`;
  // `deno run [flags] main.ts` or the shorthand `deno [flags] main.ts`.
  const rest = cmdline.slice(cmdline[1] === "run" ? 2 : 1);
  return [cmdline[0], "run", flag, ...rest];
}

/**
 * Starts this run again with {@link V8_FLAGS} when it is a session command
 * run from source without them (Linux only; elsewhere, or when anything is
 * missing, it goes on as it is). Returns only when it does not start again.
 */
export function relaunchWithV8Flags(args: string[]): void {
  if (Deno.build.standalone || Deno.build.os !== "linux") return;
  // Never prompt for a permission to do this.
  const granted = (d: Deno.PermissionDescriptor) =>
    Deno.permissions.querySync(d).state === "granted";
  if (!granted({ name: "ffi" }) || !granted({ name: "read", path: "/proc/self/cmdline" })) return;
  if (!granted({ name: "env" }) || Deno.env.get("DENO_V8_FLAGS")) return;
  let cmdline: string[];
  try {
    cmdline = Deno.readTextFileSync("/proc/self/cmdline").split("\0").slice(0, -1);
  } catch {
    return;
  }
  const argv = relaunchArgv(cmdline, args);
  if (argv) execve(Deno.execPath(), argv, Deno.env.toObject());
}
