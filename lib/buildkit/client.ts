/**
 * The Control client: daemon queries (workers, info, disk usage, prune) and
 * solves with a session that serves local sources, exports and secrets.
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { UserError } from "../errors.ts";
import { diagnoseServer, explainTls, type TlsSetup } from "./tls.ts";
import { type ConnectOptions, target } from "./address.ts";
import { serviceDefinition } from "./rpc.ts";
import { type ExportTarget, type LocalDir, openSession } from "./session.ts";
import type { ProgressWriter, SolveSummary } from "./progress.ts";
import type { StatusResponse } from "./rawjson.ts";
import { bytesMessageCodec, type Codec, objectCodec, rawCodec, varint } from "./rpc.ts";
import { type } from "./proto.ts";
import { daemonDiskFull, isDiskFull } from "./diskfull.ts";
import type { TransferStats } from "./filesync.ts";
import { discardExports, type ExportSpec, finishExports, prepareExports } from "./exports.ts";
import { type CacheEntry, prepareCaches, updateCacheIndexes } from "./cache.ts";

/** Options of {@link Client.solve}. */
export interface SolveOptions {
  /** A serialized `pb.Definition`. */
  definition: Uint8Array;
  /** Local sources by name: a directory, or one with filters. */
  locals?: Record<string, string | LocalDir>;
  /** Where results go. */
  exports?: ExportSpec[];
  /** Secrets by id. */
  secrets?: Record<string, Uint8Array>;
  /** SSH agent sockets by id (`default` is what mounts without an id use). */
  ssh?: Record<string, string>;
  /** OCI layout directories by store id (what `oci-layout` sources read). */
  ociLayouts?: Record<string, string>;
  /** Entitlements the build needs, e.g. "security.insecure". */
  entitlements?: string[];
  /** Progress display (default: none). */
  progress?: ProgressWriter;
  /** Aborting cancels the solve and removes partial exports. */
  signal?: AbortSignal;
  /** Stable key for local source caching; see {@link sharedKey}. */
  sharedKey?: string;
  /** Build cache to export (`--cache-to`; lib/buildkit/cache.ts). */
  cacheTo?: CacheEntry[];
  /** Build cache to import (`--cache-from`). */
  cacheFrom?: CacheEntry[];
  /** Where warnings go (a local cache import that is skipped); default: standard error. */
  warn?: (line: string) => void;
}

/** What a solve produced. */
export interface SolveResult {
  exporterResponse: Record<string, string>;
  summary?: SolveSummary;
  /** Data sent from local sources and received by exporters. */
  sent: TransferStats;
  received: TransferStats;
}

/** A connection to buildkitd. */
export class Client {
  readonly addr: string;
  readonly #control: any;
  readonly #tls?: TlsSetup;

  private constructor(addr: string, control: grpc.Client, tls?: TlsSetup) {
    this.addr = addr;
    this.#control = control;
    this.#tls = tls;
  }

  /** Connects (lazily: the first call reports an unreachable daemon). */
  static connect(opts: ConnectOptions = {}): Client {
    const t = target(opts);
    const solveCodec = solveRequestCodec();
    const Ctor = grpc.makeGenericClientConstructor(
      serviceDefinition("moby.buildkit.v1.Control", {
        Solve: { request: solveCodec },
        Session: { request: rawCodec, response: bytesMessageCodec },
      }),
      "Control",
    );
    return new Client(t.addr, new Ctor(t.target, t.credentials, t.options), t.tls);
  }

  #unary<T>(method: string, req: unknown, signal?: AbortSignal): Promise<T> {
    return new Promise((resolve, reject) => {
      const call = this.#control[method](
        req,
        { deadline: Infinity },
        (err: grpc.ServiceError | null, res: T) =>
          err ? this.#explainFully(err).then(reject) : resolve(res),
      );
      signal?.addEventListener("abort", () => call.cancel(), { once: true });
    });
  }

  /** The daemon's workers. */
  async listWorkers(): Promise<any[]> {
    return (await this.#unary<{ record?: any[] }>("ListWorkers", {})).record ?? [];
  }

  /** The daemon's version. */
  async info(): Promise<{ package?: string; version?: string; revision?: string }> {
    return (await this.#unary<{ buildkitVersion?: any }>("Info", {})).buildkitVersion ?? {};
  }

  /** Build cache records. */
  async diskUsage(filter: string[] = []): Promise<any[]> {
    return (await this.#unary<{ record?: any[] }>("DiskUsage", { filter })).record ?? [];
  }

  /** Removes build cache; returns the records removed. */
  prune(
    opts: { all?: boolean; keepDurationSeconds?: number; filter?: string[] } = {},
  ): Promise<any[]> {
    return new Promise((resolve, reject) => {
      const out: any[] = [];
      const call = this.#control.Prune({
        all: opts.all,
        keepDuration: opts.keepDurationSeconds ? opts.keepDurationSeconds * 1e9 : undefined,
        filter: opts.filter,
      });
      call.on("data", (r: any) => out.push(r));
      call.on("end", () => resolve(out));
      call.on("error", (err: grpc.ServiceError) => reject(this.#explain(err)));
    });
  }

  /** Solves a definition with a session serving its locals, exports and secrets. */
  async solve(opts: SolveOptions): Promise<SolveResult> {
    const ref = randomUUID().replaceAll("-", "").slice(0, 25);
    const caches = prepareCaches(
      opts.cacheTo,
      opts.cacheFrom,
      opts.warn ?? ((line) => console.error(line)),
    );
    const prepared = prepareExports(opts.exports ?? []);
    const locals = Object.fromEntries(
      Object.entries(opts.locals ?? {}).map((
        [k, v],
      ) => [k, typeof v === "string" ? { dir: v } : v]),
    );
    for (const [name, l] of Object.entries(locals)) {
      try {
        if (!Deno.statSync(l.dir).isDirectory) throw new Error("not a directory");
      } catch (err) {
        discardExports(prepared);
        throw new UserError(`local source ${name}: ${l.dir}: ${(err as Error).message}`);
      }
    }
    const session = openSession(this.#control, {
      locals,
      exports: prepared.map((p) => p.target as ExportTarget),
      secrets: opts.secrets,
      ssh: opts.ssh,
      ociLayouts: opts.ociLayouts,
      cacheStores: caches.stores,
      writableStores: caches.writable,
      sharedKey: opts.sharedKey,
    });
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const status = this.#status(ref, opts.progress, abort.signal);
    // Awaited below; until then a refused connection must not be an unhandled rejection.
    status.catch(() => {});
    try {
      const res = await this.#unary<{ ExporterResponse?: Record<string, string> }>("Solve", {
        Ref: ref,
        definition: opts.definition,
        Session: session.id,
        Exporters: prepared.map((p) => ({ Type: p.spec.type, Attrs: p.attrs })),
        Entitlements: opts.entitlements,
        Cache: caches.request,
      }, abort.signal);
      await status.catch(() => {});
      finishExports(prepared);
      await updateCacheIndexes(caches, res.ExporterResponse ?? {});
      return {
        exporterResponse: res.ExporterResponse ?? {},
        summary: opts.progress?.finish(),
        sent: session.sent,
        received: session.received,
      };
    } catch (err) {
      discardExports(prepared);
      // A solve refused before it started has no status stream to end: stop waiting soon.
      const grace = setTimeout(() => abort.abort(), 2000);
      await status.catch(() => {});
      clearTimeout(grace);
      opts.progress?.finish();
      if (opts.signal?.aborted) throw new UserError("build cancelled", { exitCode: 130 });
      throw this.#failure(err, opts.progress);
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
      session.close();
    }
  }

  #status(ref: string, progress: ProgressWriter | undefined, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const call = this.#control.Status({ Ref: ref });
      signal.addEventListener("abort", () => call.cancel(), { once: true });
      call.on("data", (m: StatusResponse) => progress?.update(m));
      call.on("end", () => resolve());
      call.on("error", (err: unknown) => reject(err));
    });
  }

  /** A failed solve as one paragraph: the step, its exit code, its last lines. */
  #failure(err: unknown, progress?: ProgressWriter): Error {
    if (err instanceof UserError) {
      const step = progress?.failedStep();
      if (!step) return err;
      const tail = step.tail.length
        ? `\nlast output of "${step.name}":\n  ${step.tail.join("\n  ")}`
        : "";
      const full = isDiskFull(`${step.error}\n${step.tail.join("\n")}`)
        ? `\n${daemonDiskFull(this.addr)}`
        : "";
      return new UserError(
        `step "${step.name}" failed: ${stepFailure(step.error ?? "")}${tail}${full}`,
      );
    }
    if (err instanceof Error && isDiskFull(err.message)) {
      return new UserError(`${err.message}\n${daemonDiskFull(this.addr)}`);
    }
    return err as Error;
  }

  /** {@link #explain}, and when the daemon's certificate did not verify, why. */
  async #explainFully(err: grpc.ServiceError): Promise<Error> {
    const explained = this.#explain(err);
    if (this.#tls && /unable to verify|self[- ]signed|issuer/i.test(err.details || err.message)) {
      const why = await diagnoseServer(this.#tls, this.addr);
      if (why) return new UserError(`TLS with BuildKit at ${this.addr} failed: ${why}`);
    }
    return explained;
  }

  #explain(err: grpc.ServiceError): Error {
    const details = (err.details || err.message).replace(/\s*Resolution note: \.?/, "");
    if (
      err.code === grpc.status.UNAVAILABLE && this.#tls && /EPIPE|ECONNRESET|hang up/.test(details)
    ) {
      // The handshake passed our checks; the daemon hung up on our certificate.
      return new UserError(
        this.#tls.certPath
          ? `the daemon at ${this.addr} refused the client certificate ${this.#tls.certPath}: ` +
            "is it signed by the CA the daemon trusts (its --tlscacert)?"
          : `the daemon at ${this.addr} requires a client certificate: give --tlscert and --tlskey`,
      );
    }
    if (err.code === grpc.status.UNAVAILABLE) {
      const known = explainTls(details, this.addr);
      // "the daemon at ... requires ..." names the address itself.
      if (known?.startsWith("the daemon at ")) return new UserError(known);
      if (known) return new UserError(`TLS with BuildKit at ${this.addr} failed: ${known}`);
      const tls = /certificate|SSL|TLS|handshake|alert/i.test(details);
      if (tls) {
        return new UserError(`TLS handshake with BuildKit at ${this.addr} failed: ${details}`);
      }
      return new UserError(
        `cannot reach BuildKit at ${this.addr}: ${reason(details)}. Start a daemon there ` +
          `(\`sudo buildkitd --addr ${this.addr}\`; bash scripts/setup.sh starts one at ` +
          "unix:///run/buildkit/buildkitd.sock), or point --buildkit-addr or BUILDKIT_HOST at one.",
      );
    }
    if (/not allowed|entitlement/i.test(details)) {
      return new UserError(
        `the daemon at ${this.addr} refused an entitlement: ${details}. Privileged steps ` +
          "(--privileged, or --allow security.insecure) need a daemon started with " +
          "--allow-insecure-entitlement security.insecure; without the flag steps run in " +
          "BuildKit's default sandbox.",
      );
    }
    if (err.code === grpc.status.CANCELLED) {
      return new UserError("build cancelled", { exitCode: 130 });
    }
    if (isDiskFull(details)) return new UserError(`${details}\n${daemonDiskFull(this.addr)}`);
    return new UserError(details);
  }

  /** Closes the connection. */
  close(): void {
    this.#control.close();
  }
}

/** grpc-js's "No connection established. Last error: Error: connect ENOENT /x" as "connect ENOENT /x". */
function reason(details: string): string {
  const last = /Last error: (?:Error: )?(.*)$/.exec(details)?.[1];
  const text = (last ?? details).replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)/, "").replace(/\.\s*$/, "");
  if (/ENOENT/.test(text)) return `${text} (no such socket)`;
  if (/ECONNREFUSED/.test(text)) return `${text} (nothing listens there)`;
  if (/EACCES/.test(text)) return `${text} (permission denied)`;
  // A server that hangs up on gRPC shows as one or the other, depending on timing.
  if (/^Failed to connect$/.test(text) || /EPIPE|ECONNRESET|closed/.test(text)) {
    return `${text} (the server hung up: is it BuildKit, and does it want TLS? ` +
      "see --tlscacert, --tlscert and --tlskey)";
  }
  return text;
}

/**
 * SolveRequest with the definition passed through as already-serialized
 * bytes: field 2 is appended raw, so the exact bytes we marshalled are what
 * the daemon digests.
 */
function solveRequestCodec(): Codec<Record<string, any>> {
  const inner = objectCodec(type("moby.buildkit.v1.SolveRequest"));
  return {
    encode: ({ definition, ...rest }) => {
      const head = inner.encode(rest);
      const def = definition as Uint8Array;
      return Buffer.concat([head, Buffer.from([0x12]), varint(def.length), Buffer.from(def)]);
    },
    decode: inner.decode,
  };
}

/**
 * A failed step's error without the script BuildKit quotes in it
 * (`process "/bin/sh -c ..." did not complete successfully: exit code: 3`
 * is `exit code: 3`): the step is already named and its script is the user's own.
 */
export function stepFailure(error: string): string {
  const done = /^process ".*" did not complete successfully: (.*)$/s.exec(error);
  if (done) return done[1];
  return error.replace(/^process "(?:[^"\\]|\\.)*"/s, "process");
}
