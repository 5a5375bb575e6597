/**
 * Daemon addresses as buildctl takes them: `unix:///path`, `tcp://host:port`
 * (optionally with mutual TLS). `--buildkit-addr` beats BUILDKIT_HOST, which
 * beats the default socket.
 */
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { UserError } from "../errors.ts";
import {
  checkTlsFiles,
  hostOf,
  IP_SNI_PLACEHOLDER,
  ipIdentity,
  isIpHost,
  type TlsSetup,
} from "./tls.ts";

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
  /** How TLS is set up, for explaining its failures; absent without TLS. */
  tls?: TlsSetup;
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
  const ca = read(opts.tlsCaCert, "TLS CA certificate");
  const key = read(opts.tlsKey, "TLS key");
  const cert = read(opts.tlsCert, "TLS certificate");
  checkTlsFiles({
    ca: ca ? { path: opts.tlsCaCert!, pem: ca } : undefined,
    key: key ? { path: opts.tlsKey!, pem: key } : undefined,
    cert: cert ? { path: opts.tlsCert!, pem: cert } : undefined,
  });
  const host = hostOf(hostPort);
  const byIp = !opts.tlsServerName && isIpHost(host);
  const credentials = grpc.credentials.createSsl(
    ca,
    key,
    cert,
    byIp ? { checkServerIdentity: ipIdentity(host) } : undefined,
  );
  if (opts.tlsServerName) {
    options["grpc.ssl_target_name_override"] = opts.tlsServerName;
    options["grpc.default_authority"] = opts.tlsServerName;
  } else if (byIp) {
    // As buildctl: the certificate must name the IP (an IP SAN). grpc-js
    // would send the IP as the server name, which Node refuses; it checks
    // identity with ours, which ignores the placeholder and uses the IP.
    options["grpc.ssl_target_name_override"] = IP_SNI_PLACEHOLDER;
  }
  return {
    target: `dns:${hostPort}`,
    credentials,
    options,
    addr,
    tls: {
      host,
      port: Number(/:(\d+)$/.exec(hostPort)?.[1] ?? 1234),
      caPath: opts.tlsCaCert,
      certPath: opts.tlsCert,
    },
  };
}
