/** The daemon address and TLS flags, as buildctl names them, for any command. */
import type { Command } from "commander";
import type { ConnectOptions } from "../lib/buildkit/address.ts";

/**
 * Adds --buildkit-addr and the TLS flags to a command; with `repeatable`,
 * --buildkit-addr may be given more than once (a pool of daemons).
 */
export function addConnectFlags(cmd: Command, repeatable = false): Command {
  const addr = cmd.createOption(
    "--buildkit-addr <addr>",
    repeatable
      ? "BuildKit daemon address, repeatable: builds of many files share the daemons (default: " +
        "$BUILDKIT_HOST or unix:///run/buildkit/buildkitd.sock)"
      : "BuildKit daemon address (default: $BUILDKIT_HOST or unix:///run/buildkit/buildkitd.sock)",
  );
  if (repeatable) addr.argParser((v: string, all: string[] = []) => [...all, v]);
  return addTlsFlags(cmd.addOption(addr));
}

/** Adds buildctl's TLS flags (--tlscacert, --tlscert, --tlskey, --tlsservername) to a command. */
export function addTlsFlags(cmd: Command): Command {
  return cmd
    .option("--tlscacert <file>", "CA certificate for the daemon's TLS certificate")
    .option("--tlscert <file>", "client TLS certificate")
    .option("--tlskey <file>", "client TLS key")
    .option("--tlsservername <name>", "server name expected in the daemon's certificate");
}

/** The connect options from parsed flags (the first --buildkit-addr when repeated). */
export function connectOptions(
  opts: Record<string, string | string[] | undefined>,
): ConnectOptions {
  const addr = opts.buildkitAddr;
  return {
    addr: Array.isArray(addr) ? addr[0] : addr,
    tlsCaCert: opts.tlscacert as string | undefined,
    tlsCert: opts.tlscert as string | undefined,
    tlsKey: opts.tlskey as string | undefined,
    tlsServerName: opts.tlsservername as string | undefined,
  };
}

/** Aborts the returned signal on Ctrl-C (and SIGTERM), for cancelling a solve. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return {
    signal: ac.signal,
    dispose() {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    },
  };
}

const collect = (v: string, all: string[] = []) => [...all, v];

/** Adds --cache-to and --cache-from (buildctl's --export-cache and --import-cache) to a command. */
export function addCacheFlags(cmd: Command): Command {
  return cmd
    .option(
      "--cache-to <spec>",
      "export the build cache: type=local,dest=DIR or type=registry,ref=REF, mode=min|max " +
        "(repeatable; as buildctl's --export-cache)",
      collect,
    )
    .option(
      "--cache-from <spec>",
      "import build cache: type=local,src=DIR or type=registry,ref=REF " +
        "(repeatable; as buildctl's --import-cache)",
      collect,
    );
}
