/**
 * The BuildKit client: connect to buildkitd (unix, tcp, mutual TLS), query
 * and prune it, and solve definitions with a session serving local sources,
 * exports, secrets and registry credentials.
 *
 * ```ts
 * const client = connect({ addr: "unix:///run/buildkit/buildkitd.sock" });
 * const result = await client.solve({ definition, locals: { src: "." },
 *   exports: [{ type: "local", dest: "out" }], progress: new ProgressWriter("plain") });
 * client.close();
 * ```
 */
import { Client } from "./client.ts";
import type { ConnectOptions } from "./address.ts";

export { Client, type SolveOptions, type SolveResult } from "./client.ts";
export { type ConnectOptions, DEFAULT_ADDRESS, resolveAddress } from "./address.ts";
export { type ExportSpec, parseOutput } from "./exports.ts";
export type { LocalDir } from "./session.ts";
export { type ProgressMode, ProgressWriter, type SolveSummary } from "./progress.ts";
export { localUniqueId, sharedKey } from "./identity.ts";
export type { TransferStats } from "./filesync.ts";

/** Connects to buildkitd; an unreachable daemon is reported by the first call. */
export function connect(opts: ConnectOptions = {}): Client {
  return Client.connect(opts);
}
