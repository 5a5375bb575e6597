/**
 * Daemon addresses as buildctl takes them: `unix:///path`, `tcp://host:port`
 * (optionally with mutual TLS). `--buildkit-addr` beats BUILDKIT_HOST, which
 * beats the default socket.
 */
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { UserError } from "../errors.ts";

/** The default daemon socket, as buildctl has it. */
export const DEFAULT_ADDRESS = "unix:///run/buildkit/buildkitd.sock";

/** Where and how to reach the daemon. */
export interface ConnectOptions {
  /** `unix://...` or `tcp://host:port`; see {@link resolveAddress}. */
  addr?: string;
  /** CA certificate (PEM file) that signed the daemon's certificate. */
  tlsCaCert?: string;
  /** Client certificate and key (PEM files) for mutual TLS. */
  tlsCert?: string;
  tlsKey?: string;
  /** Name expected in the daemon's certificate (default: the host). */
  tlsServerName?: string;
}

/** The address to use: the flag, else BUILDKIT_HOST, else the default socket. */
export function resolveAddress(
  flag?: string,
  env: string | undefined = Deno.env.get("BUILDKIT_HOST"),
): string {
  return flag || env || DEFAULT_ADDRESS;
}

/** The grpc-js target and credentials for an address. */
export function target(opts: ConnectOptions): {
  target: string;
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
  addr: string;
} {
  const addr = resolveAddress(opts.addr);
  const options: grpc.ChannelOptions = {
    "grpc.max_receive_message_length": 64 << 20,
    // Exports stream through the session: a large window keeps the pipe full.
    "grpc-node.flow_control_window": 4 << 20,
    "grpc.max_send_message_length": 64 << 20,
  };
  if (addr.startsWith("unix://")) {
    if (opts.tlsCaCert || opts.tlsCert) {
      throw new UserError(`TLS options need a tcp:// address, not ${addr}`);
    }
    return { target: addr, credentials: grpc.credentials.createInsecure(), options, addr };
  }
  const m = /^tcp:\/\/([^/]+)$/.exec(addr);
  if (!m) {
    throw new UserError(
      `unsupported BuildKit address ${
        JSON.stringify(addr)
      }: use unix:///path/to/buildkitd.sock or tcp://host:port`,
    );
  }
  const hostPort = m[1];
  if (!opts.tlsCaCert && !opts.tlsCert && !opts.tlsKey) {
    return {
      target: `dns:${hostPort}`,
      credentials: grpc.credentials.createInsecure(),
      options,
      addr,
    };
  }
  if (!!opts.tlsCert !== !!opts.tlsKey) {
    throw new UserError("--tlscert and --tlskey go together");
  }
  const read = (path: string | undefined, what: string) => {
    if (!path) return null;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new UserError(`reading ${what} ${path}: ${(err as Error).message}`);
    }
  };
  const credentials = grpc.credentials.createSsl(
    read(opts.tlsCaCert, "TLS CA certificate"),
    read(opts.tlsKey, "TLS key"),
    read(opts.tlsCert, "TLS certificate"),
  );
  if (opts.tlsServerName) {
    options["grpc.ssl_target_name_override"] = opts.tlsServerName;
    options["grpc.default_authority"] = opts.tlsServerName;
  }
  return { target: `dns:${hostPort}`, credentials, options, addr };
}
