/**
 * The embedded default daemon: when the user names no BuildKit address and
 * nothing answers at the default socket, start a local buildkitd (if one is
 * installed and we are root) so that `melange2 build file.yaml` works with
 * no flags after the set-up. Otherwise say exactly how to start one.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../errors.ts";

/** The address buildctl and buildx use when none is given. */
export const DEFAULT_ADDR = "unix:///run/buildkit/buildkitd.sock";

/** Where the set-up installs buildkitd (scripts/setup.sh). */
const INSTALL_DIRS = ["/opt/melange2/buildkit/v0.32.2/bin"];

/** Finds a buildkitd binary: $MELANGE2_BUILDKIT_BIN, $PATH, then the set-up's place. */
export function findBuildkitd(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): string | undefined {
  const dirs = [
    env.MELANGE2_BUILDKIT_BIN,
    ...(env.PATH ?? "").split(":"),
    ...INSTALL_DIRS,
  ].filter((d): d is string => !!d);
  for (const dir of dirs) {
    const candidate = join(dir, "buildkitd");
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** True when something accepts connections on the unix socket at `addr`. */
export async function socketAnswers(addr: string): Promise<boolean> {
  if (!addr.startsWith("unix://")) return false;
  try {
    const conn = await Deno.connect({ transport: "unix", path: addr.slice("unix://".length) });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** The command line that starts a daemon the way the set-up does. */
export function startCommand(buildkitd: string, addr = DEFAULT_ADDR, stateDir?: string): string[] {
  const args = [buildkitd, "--addr", addr, "--allow-insecure-entitlement", "security.insecure"];
  return stateDir ? [...args, "--root", stateDir] : args;
}

/** Options of {@link ensureDaemon}; the defaults are the real default socket and state. */
export interface EnsureDaemonOptions {
  /** Address tried (and started at) when none is given. */
  defaultAddr?: string;
  /** buildkitd's --root, when not its default /var/lib/buildkit. */
  stateDir?: string;
  /** Progress messages for the user. */
  log?: (line: string) => void;
  /** The buildkitd binary; `null` for none. Found with {@link findBuildkitd} when absent. */
  buildkitd?: string | null;
  /** How long to wait for a started daemon to answer. */
  timeoutMs?: number;
}

/** The address to use, and the process id of a daemon started for it, if any. */
export interface DaemonAddress {
  addr: string;
  startedPid?: number;
}

/**
 * Resolves the address to use. An explicit address (flag or BUILDKIT_HOST) is
 * returned as is; otherwise the default socket, starting a daemon there first
 * when none answers and that is possible.
 */
export async function ensureDaemon(
  explicit: string | undefined,
  opts: EnsureDaemonOptions = {},
): Promise<DaemonAddress> {
  if (explicit) return { addr: explicit };
  const addr = opts.defaultAddr ?? DEFAULT_ADDR;
  if (await socketAnswers(addr)) return { addr };
  const buildkitd = opts.buildkitd === undefined ? findBuildkitd() : opts.buildkitd ?? undefined;
  const isRoot = Deno.uid() === 0;
  if (!buildkitd || !isRoot) {
    const cmd = startCommand(buildkitd ?? "buildkitd", addr, opts.stateDir).join(" ");
    throw new UserError(
      `no BuildKit daemon answers at ${addr}. Start one with \`sudo ${cmd}\`` +
        (buildkitd ? "" : " (install it first: bash scripts/setup.sh)") +
        `, or name another with --buildkit-addr or BUILDKIT_HOST.`,
    );
  }
  opts.log?.(`starting ${buildkitd} at ${addr}`);
  await Deno.mkdir(dirname(addr.slice("unix://".length)), { recursive: true });
  const child = new Deno.Command(buildkitd, {
    args: startCommand(buildkitd, addr, opts.stateDir).slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (await socketAnswers(addr)) return { addr, startedPid: child.pid };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new UserError(`started ${buildkitd} but nothing answered at ${addr} in time`);
}
