/**
 * The Control client: daemon queries (workers, info, disk usage, prune) and
 * solves with a session that serves local sources, exports and secrets.
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { UserError } from "../errors.ts";
import { type ConnectOptions, target } from "./address.ts";
import { serviceDefinition } from "./rpc.ts";
import { type ExportTarget, type LocalDir, openSession } from "./session.ts";
import type { ProgressWriter, SolveSummary } from "./progress.ts";
import type { StatusResponse } from "./rawjson.ts";
import { bytesMessageCodec, type Codec, objectCodec, rawCodec, varint } from "./rpc.ts";
import { type } from "./proto.ts";
import type { TransferStats } from "./filesync.ts";
import { discardExports, type ExportSpec, finishExports, prepareExports } from "./exports.ts";

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
  /** Entitlements the build needs, e.g. "security.insecure". */
  entitlements?: string[];
  /** Progress display (default: none). */
  progress?: ProgressWriter;
  /** Aborting cancels the solve and removes partial exports. */
  signal?: AbortSignal;
  /** Stable key for local source caching; see {@link sharedKey}. */
  sharedKey?: string;
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

  private constructor(addr: string, control: grpc.Client) {
    this.addr = addr;
    this.#control = control;
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
    return new Client(t.addr, new Ctor(t.target, t.credentials, t.options));
  }

  #unary<T>(method: string, req: unknown, signal?: AbortSignal): Promise<T> {
    return new Promise((resolve, reject) => {
      const call = this.#control[method](
        req,
        { deadline: Infinity },
        (err: grpc.ServiceError | null, res: T) => err ? reject(this.#explain(err)) : resolve(res),
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
      sharedKey: opts.sharedKey,
    });
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const status = this.#status(ref, opts.progress, abort.signal);
    try {
      const res = await this.#unary<{ ExporterResponse?: Record<string, string> }>("Solve", {
        Ref: ref,
        definition: opts.definition,
        Session: session.id,
        Exporters: prepared.map((p) => ({ Type: p.spec.type, Attrs: p.attrs })),
        Entitlements: opts.entitlements,
      }, abort.signal);
      await status.catch(() => {});
      finishExports(prepared);
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
      return new UserError(`step "${step.name}" failed: ${stepFailure(step.error ?? "")}${tail}`);
    }
    return err as Error;
  }

  #explain(err: grpc.ServiceError): Error {
    const details = (err.details || err.message).replace(/\s*Resolution note: \.?/, "");
    if (err.code === grpc.status.UNAVAILABLE) {
      const tls = /certificate|SSL|TLS|handshake|alert/i.test(details);
      if (tls) {
        return new UserError(`TLS handshake with BuildKit at ${this.addr} failed: ${details}`);
      }
      return new UserError(
        `cannot reach BuildKit at ${this.addr}: ${details}. Start a daemon with ` +
          "`sudo buildkitd --addr unix:///run/buildkit/buildkitd.sock` (bash scripts/setup.sh does it), " +
          "or point --buildkit-addr or BUILDKIT_HOST at one.",
      );
    }
    if (/not allowed|entitlement/i.test(details)) {
      return new UserError(
        `${details}. The daemon must allow it: start buildkitd with --allow-insecure-entitlement security.insecure.`,
      );
    }
    if (err.code === grpc.status.CANCELLED) {
      return new UserError("build cancelled", { exitCode: 130 });
    }
    return new UserError(details);
  }

  /** Closes the connection. */
  close(): void {
    this.#control.close();
  }
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
