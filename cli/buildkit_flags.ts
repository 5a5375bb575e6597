/** The daemon address and TLS flags, as buildctl names them, for any command. */
import { type Command, Option } from "commander";
import type { ConnectOptions } from "../lib/buildkit/address.ts";

/** Adds --buildkit-addr and the TLS flags to a command. */
export function addConnectFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        "--buildkit-addr <addr>",
        "BuildKit daemon address (default: $BUILDKIT_HOST or unix:///run/buildkit/buildkitd.sock)",
      ),
    )
    .option("--tlscacert <file>", "CA certificate for the daemon's TLS certificate")
    .option("--tlscert <file>", "client TLS certificate")
    .option("--tlskey <file>", "client TLS key")
    .option("--tlsservername <name>", "server name expected in the daemon's certificate");
}

/** The connect options from parsed flags. */
export function connectOptions(opts: Record<string, string | undefined>): ConnectOptions {
  return {
    addr: opts.buildkitAddr,
    tlsCaCert: opts.tlscacert,
    tlsCert: opts.tlscert,
    tlsKey: opts.tlskey,
    tlsServerName: opts.tlsservername,
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
