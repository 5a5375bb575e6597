/**
 * The client side of a BuildKit session. `Control.Session` carries a byte
 * stream on which the daemon opens an HTTP/2 connection back to us; we serve
 * gRPC on it: FileSync (local sources), FileSend (exports), Auth, Secrets
 * and Health. The X-Docker-Expose-Session-* headers say what we serve.
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { Duplex, type Writable } from "node:stream";
import process from "node:process";
import { randomUUID } from "node:crypto";
import { bytesMessageHeader, rawCodec, serviceDefinition } from "./rpc.ts";
import { type } from "./proto.ts";
import { messageStream } from "./stream.ts";
import { sendDir, type TransferStats } from "./filesync.ts";
import { receiveDir } from "./filesend.ts";
import { decodePacket, encodePacket, type Packet, packetCodec } from "./packet.ts";
import { type Credentials, credentialsFor } from "./auth.ts";

/** A local directory the daemon may read, with its filters. */
export interface LocalDir {
  dir: string;
  includePatterns?: string[];
  excludePatterns?: string[];
  followPaths?: string[];
}

/** Where an exporter's output goes: a directory (local) or a file (tar, oci). */
export type ExportTarget = { kind: "dir"; dir: string } | { kind: "file"; path: string };

/** What the session serves. */
export interface SessionConfig {
  /** Local sources by name. */
  locals?: Record<string, LocalDir>;
  /** Export targets by exporter index. */
  exports?: ExportTarget[];
  /** Secret values by id. */
  secrets?: Record<string, Uint8Array>;
  /** Registry credentials by host. */
  credentials?: Record<string, Credentials>;
  /** A stable key so the daemon recognizes this client's local sources across runs. */
  sharedKey?: string;
  /** Session name shown by the daemon. */
  name?: string;
}

/** An open session. */
export interface Session {
  readonly id: string;
  /** Bytes and files sent to the daemon from local sources. */
  readonly sent: TransferStats;
  /** Bytes and files received from exporters. */
  readonly received: TransferStats;
  /** Closes the stream and the server on it. */
  close(): void;
  /** Resolves when the daemon closes the session, rejects on a transport error. */
  readonly done: Promise<void>;
}

const EXPORTER_ID = "buildkit-attachable-exporter-id";

/** Flow-control window of the inner connection and its streams. */
const WINDOW = 4 << 20;

const METHODS = [
  "/moby.filesync.v1.FileSync/DiffCopy",
  "/moby.filesync.v1.FileSend/DiffCopy",
  "/moby.filesync.v1.Auth/Credentials",
  "/moby.buildkit.secrets.v1.Secrets/GetSecret",
  "/grpc.health.v1.Health/Check",
];

function first(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return v === undefined ? undefined : String(v);
}

/**
 * A repeated metadata value. Node's HTTP/2 joins repeated headers with ", "
 * (grpc-go sends one header per value), so split them again.
 */
function decodeOpt(md: grpc.Metadata, key: string): string[] {
  const values = md.get(key).flatMap((v) => String(v).split(/,\s*/)).filter((v) => v !== "");
  if (first(md, `${key}-encoded`) === "1") {
    return values.map((v) => decodeURIComponent(v.replace(/\+/g, " ")));
  }
  return values;
}

const bytesMessage = type("moby.filesync.v1.BytesMessage");

/** Starts a session over `control` (a Control client) and serves `config` on it. */
export function openSession(control: grpc.Client, config: SessionConfig): Session {
  const id = randomUUID().replaceAll("-", "").slice(0, 25);
  const sent: TransferStats = { files: 0, bytes: 0 };
  const received: TransferStats = { files: 0, bytes: 0 };
  const server = new grpc.Server();

  server.addService(
    serviceDefinition("moby.filesync.v1.FileSync", {
      DiffCopy: { request: packetCodec, response: packetCodec },
    }),
    {
      DiffCopy: (call: grpc.ServerDuplexStream<Packet, Packet | Buffer>) => {
        const name = decodeOpt(call.metadata, "dir-name")[0] ?? "";
        const local = config.locals?.[name];
        if (!local) {
          call.emit("error", {
            code: grpc.status.NOT_FOUND,
            details: `no access allowed to dir "${name}"`,
          });
          return;
        }
        const include = decodeOpt(call.metadata, "include-patterns");
        const exclude = decodeOpt(call.metadata, "exclude-patterns");
        const follow = decodeOpt(call.metadata, "followpaths");
        coalesceWrites(call);
        sendDir(messageStream(call), local.dir, {
          includePatterns: include.length ? include : local.includePatterns,
          excludePatterns: exclude.length ? exclude : local.excludePatterns,
          followPaths: follow.length ? follow : local.followPaths,
          stats: sent,
        }).then(
          () => call.end(),
          (err) =>
            call.emit("error", { code: grpc.status.UNKNOWN, details: String(err?.message ?? err) }),
        );
      },
      TarStream: (call: grpc.ServerDuplexStream<Packet, Packet>) => {
        call.emit("error", {
          code: grpc.status.UNIMPLEMENTED,
          details: "tarstream is not supported",
        });
      },
    },
  );

  server.addService(
    serviceDefinition("moby.filesync.v1.FileSend", {
      DiffCopy: { request: rawCodec, response: rawCodec },
    }),
    {
      DiffCopy: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        const index = Number(first(call.metadata, EXPORTER_ID) ?? "0");
        const target = config.exports?.[index];
        const fail = (err: unknown) =>
          call.emit("error", {
            code: grpc.status.UNKNOWN,
            details: String((err as Error)?.message ?? err),
          });
        if (!target) return fail(new Error(`exporter ${index} not found`));
        coalesceWrites(call);
        const raw = messageStream<Buffer, Buffer>(call);
        if (target.kind === "dir") {
          // The local exporter speaks fsutil packets on this stream.
          const packets = {
            async *[Symbol.asyncIterator]() {
              for await (const b of raw) yield decodePacket(b);
            },
            send: (p: Packet) => raw.send(encodePacket(p)),
            post: (p: Packet) => raw.post(encodePacket(p)),
            end: () => raw.end(),
          };
          receiveDir(packets, target.dir, { stats: received }).then(() => call.end(), fail);
        } else {
          writeStream(raw, target.path, received).then(() => call.end(), fail);
        }
      },
    },
  );

  server.addService(serviceDefinition("moby.filesync.v1.Auth"), {
    Credentials: (
      call: grpc.ServerUnaryCall<{ Host?: string }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      cb(null, credentialsFor(call.request.Host ?? "", config.credentials));
    },
    FetchToken: unimplemented,
    GetTokenAuthority: unimplemented,
    VerifyTokenAuthority: unimplemented,
  });

  server.addService(serviceDefinition("moby.buildkit.secrets.v1.Secrets"), {
    GetSecret: (
      call: grpc.ServerUnaryCall<{ ID?: string }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      const value = config.secrets?.[call.request.ID ?? ""];
      if (!value) {
        return cb({ code: grpc.status.NOT_FOUND, details: `secret ${call.request.ID} not found` });
      }
      cb(null, { data: Buffer.from(value) });
    },
  });

  server.addService(serviceDefinition("grpc.health.v1.Health"), {
    Check: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { status: 1 }),
  });

  const md = new grpc.Metadata();
  md.set("x-docker-expose-session-uuid", id);
  md.set("x-docker-expose-session-name", config.name ?? "melange2");
  md.set("x-docker-expose-session-sharedkey", config.sharedKey ?? id);
  for (const m of METHODS) md.add("x-docker-expose-session-grpc-method", m);

  const call = (control as any).Session(md) as grpc.ClientDuplexStream<
    Buffer,
    { data?: Buffer }
  >;
  const duplex = streamDuplex(call);
  // Exports arrive on this inner connection: open its flow-control windows
  // wide, the streams' (an HTTP/2 setting) and the connection's (a window
  // update once the session exists; left at 64 KiB, the daemon stalls after
  // every 64 KiB until our update reaches it). grpc-js has no server option
  // for either, so reach Node's HTTP/2 objects.
  const internals = server as unknown as {
    commonServerOptions: { settings?: object };
    sessions?: Map<{ setLocalWindowSize(size: number): void }, unknown>;
  };
  internals.commonServerOptions.settings = { initialWindowSize: WINDOW };
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  injector.injectConnection(duplex);
  for (const inner of internals.sessions?.keys() ?? []) inner.setLocalWindowSize(WINDOW);

  const done = new Promise<void>((resolve, reject) => {
    call.on("end", () => resolve());
    call.on(
      "error",
      (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? resolve() : reject(err)),
    );
  });
  done.catch(() => {});
  return {
    id,
    sent,
    received,
    done,
    close() {
      injector.destroy();
      call.cancel();
      server.forceShutdown();
    },
  };
}

/**
 * Makes the HTTP/2 stream under a grpc-js server call take each tick's
 * messages in one write. grpc-js writes every message on its own, and
 * Deno's node:http2 passes each write through nghttp2 and on to the
 * session's byte stream at once, so the 20,000 STATs of an upload (or the
 * REQs of an export) each made a trip through both HTTP/2 layers; corked
 * to the end of the tick, a burst goes as one. grpc-js has no option for
 * it, so this reaches its stream.
 */
export function coalesceWrites(call: object): void {
  const stream = (call as { call?: { stream?: Writable } }).call?.stream;
  if (typeof stream?.cork !== "function") return;
  const c = call as { write(...args: unknown[]): boolean };
  const write = c.write.bind(call);
  const uncork = () => stream.uncork();
  c.write = (...args) => {
    if (!stream.writableCorked) {
      stream.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  };
}

function unimplemented(_call: unknown, cb: grpc.sendUnaryData<unknown>) {
  cb({ code: grpc.status.UNIMPLEMENTED, details: "not supported by melange2" });
}

/** Bytes gathered before a batch is sent without waiting for the timer. */
const BATCH_AT = 256 * 1024;
/** Size of the pooled message buffers: a batch plus the frames of one last write. */
const POOLED = BATCH_AT + 64 * 1024;
/** Most message buffers kept for reuse. */
const POOL_MAX = 16;

/**
 * The Session call's messages as a byte duplex for the HTTP/2 server.
 * The inner connection writes one HTTP/2 frame (at most 16 KiB) at a time,
 * and every outer message costs a trip through grpc-js and a socket write,
 * so frames are gathered for up to a millisecond (or 256 KiB) and sent as
 * one BytesMessage, framed here in the same copy that joins them. Gathering
 * only to the end of the event loop's turn sent three times as many
 * messages on an export, one per handful of file requests.
 */
function streamDuplex(
  call: grpc.ClientDuplexStream<Buffer, { data?: Buffer }>,
): Duplex {
  let pending: Buffer[] = [];
  let size = 0;
  let scheduled: ReturnType<typeof setTimeout> | undefined;
  // Message buffers come back when grpc-js has framed (copied) them.
  const pool: Buffer[] = [];
  const flush = (cb?: (err?: Error | null) => void) => {
    if (scheduled !== undefined) clearTimeout(scheduled);
    scheduled = undefined;
    if (!size) return cb?.();
    const head = bytesMessageHeader(size);
    const length = head.length + size;
    const pooled = length >= POOLED / 4 && length <= POOLED;
    const buf = pooled ? pool.pop() ?? Buffer.allocUnsafe(POOLED) : Buffer.allocUnsafe(length);
    buf.set(head);
    let at = head.length;
    for (const c of pending) {
      buf.set(c, at);
      at += c.length;
    }
    pending = [];
    size = 0;
    call.write(buf.subarray(0, length), (err?: Error | null) => {
      if (pooled && pool.length < POOL_MAX) pool.push(buf);
      cb?.(err);
    });
  };
  const write = (chunks: Buffer[], cb: (err?: Error | null) => void) => {
    for (const c of chunks) {
      pending.push(c);
      size += c.length;
    }
    if (size >= BATCH_AT) return flush(cb);
    scheduled ??= setTimeout(() => flush(), 1);
    cb();
  };
  const duplex = new Duplex({
    read() {
      call.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      write([chunk], cb);
    },
    writev(chunks: { chunk: Buffer }[], cb) {
      write(chunks.map((c) => c.chunk), cb);
    },
    final(cb) {
      flush(() => {
        call.end();
        cb();
      });
    },
    destroy(err, cb) {
      if (scheduled !== undefined) clearTimeout(scheduled);
      cb(err);
    },
  });
  call.on("data", (m: { data?: Buffer }) => {
    if (m.data?.length && !duplex.push(m.data)) call.pause();
  });
  call.on("end", () => duplex.push(null));
  call.on("error", () => duplex.destroy());
  return duplex;
}

/** Writes a raw BytesMessage stream (tar or oci exporter output) to a file. */
async function writeStream(
  stream: AsyncIterable<Buffer>,
  path: string,
  stats: TransferStats,
): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    for await (const b of stream) {
      const data = bytesMessage.decode(b) as unknown as { data: Uint8Array };
      if (data.data?.length) {
        let off = 0;
        while (off < data.data.length) off += await file.write(data.data.subarray(off));
        stats.bytes += data.data.length;
      }
    }
  } finally {
    file.close();
  }
}
