/** The daemon address and TLS flags, as buildctl names them, for any command. */
import { type Command, Option } from "commander";
import type { ConnectOptions } from "../lib/buildkit/address.ts";
import { type CacheEntry, parseCacheFrom, parseCacheTo } from "../lib/buildkit/cache.ts";

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

/** The cache entries from parsed --cache-to and --cache-from flags. */
export function cacheOptions(
  opts: Record<string, any>,
): { cacheTo: CacheEntry[]; cacheFrom: CacheEntry[] } {
  return {
    cacheTo: (opts.cacheTo ?? []).map((v: string) => parseCacheTo(v)),
    cacheFrom: (opts.cacheFrom ?? []).map((v: string) => parseCacheFrom(v)),
  };
}
