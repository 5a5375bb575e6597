/**
 * The client side of a BuildKit session. `Control.Session` carries a byte
 * stream on which the daemon opens an HTTP/2 connection back to us; we serve
 * gRPC on it: FileSync (local sources), FileSend (exports), Auth, Secrets,
 * SSH agent forwarding and Health. The X-Docker-Expose-Session-* headers say what we serve.
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { bytesMessageHeader, objectCodec } from "./rpc.ts";
import { root, type } from "./proto.ts";
import type { MessageStream } from "./stream.ts";
import { sendDir, type TransferStats } from "./filesync.ts";
import { receiveDir } from "./filesend.ts";
import { decodePacket, encodePacket, type Packet, type Stat } from "./packet.ts";
import { type Credentials, credentialsFor } from "./auth.ts";
import { h2Server, type Transport } from "./h2server.ts";
import { grpcServer, type Handler, type ServerCall, Status } from "./grpcserver.ts";
import { sshHandlers } from "./sshforward.ts";
import { contentHandlers } from "./contentstore.ts";

/** A local directory the daemon may read, with its filters. */
export interface LocalDir {
  dir: string;
  includePatterns?: string[];
  excludePatterns?: string[];
  followPaths?: string[];
}

/** Where an exporter's output goes: a directory (local) or a file (tar, oci). */
export type ExportTarget =
  | { kind: "dir"; dir: string; record?: Map<string, Stat> }
  | { kind: "file"; path: string };

/** What the session serves. */
export interface SessionConfig {
  /** Local sources by name. */
  locals?: Record<string, LocalDir>;
  /** Export targets by exporter index. */
  exports?: ExportTarget[];
  /** Secret values by id. */
  secrets?: Record<string, Uint8Array>;
  /** SSH agent sockets by id, forwarded to ssh mounts. */
  ssh?: Record<string, string>;
  /** OCI layout directories by store id, for `oci-layout` sources. */
  ociLayouts?: Record<string, string>;
  /** Local cache directories by the daemon's store id (`local:DIR`); see lib/buildkit/cache.ts. */
  cacheStores?: Record<string, string>;
  /** The ids of {@link cacheStores} the daemon may write (cache exports). */
  writableStores?: ReadonlySet<string>;
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

/** The values of a metadata key, decoded as BuildKit encodes them (`KEY-encoded: 1`). */
function decodeOpt(md: Map<string, string[]>, key: string): string[] {
  const values = (md.get(key) ?? []).filter((v) => v !== "");
  if (md.get(`${key}-encoded`)?.[0] === "1") {
    return values.map((v) => decodeURIComponent(v.replace(/\+/g, " ")));
  }
  return values;
}

const bytesMessage = type("moby.filesync.v1.BytesMessage");

/** A call's messages as fsutil packets; already encoded packets are sent as they are. */
function packetStream(call: ServerCall): MessageStream<Packet, Packet | Uint8Array> {
  const encode = (p: Packet | Uint8Array) => p instanceof Uint8Array ? p : encodePacket(p);
  return {
    async *[Symbol.asyncIterator]() {
      for await (const b of call) yield decodePacket(b);
    },
    send: (p, written) => call.send(encode(p), written),
    post: (p) => call.post(encode(p)),
    end: () => call.end(),
  };
}

/** A unary method: one request decoded with `service`'s types, one response or an error. */
function unary(
  path: string,
  answer: (req: Record<string, any>) => object | [number, string],
): [string, Handler] {
  const [, service, method] = /^\/(.+)\/([^/]+)$/.exec(path)!;
  const m = root.lookupService(service).methods[method];
  m.resolve();
  const req = objectCodec(m.resolvedRequestType!), res = objectCodec(m.resolvedResponseType!);
  return [path, async (call) => {
    try {
      let request: Record<string, any> = {};
      for await (const b of call) request = req.decode(b);
      const out = answer(request);
      if (Array.isArray(out)) return call.fail(out[0], out[1]);
      await call.send(res.encode(out as Record<string, unknown>));
      call.end();
    } catch (err) {
      call.fail(Status.UNKNOWN, String((err as Error).message ?? err));
    }
  }];
}

/**
 * The content service, when there is a store to serve: the daemon asks for
 * OCI layouts as `oci:NAME` (buildctl registers them so) and for local caches
 * as `local:DIR`.
 */
function contentStoreHandlers(config: SessionConfig): [string, Handler][] {
  const stores: Record<string, string> = { ...config.cacheStores };
  for (const [name, dir] of Object.entries(config.ociLayouts ?? {})) stores[`oci:${name}`] = dir;
  if (!Object.keys(stores).length) return [];
  return contentHandlers(stores, config.writableStores);
}

/** Starts a session over `control` (a Control client) and serves `config` on it. */
export function openSession(control: grpc.Client, config: SessionConfig): Session {
  const id = randomUUID().replaceAll("-", "").slice(0, 25);
  const sent: TransferStats = { files: 0, bytes: 0 };
  const received: TransferStats = { files: 0, bytes: 0 };
  const fail = (call: ServerCall) => (err: unknown) =>
    call.fail(Status.UNKNOWN, String((err as Error)?.message ?? err));

  const handlers: Record<string, Handler> = Object.fromEntries([
    ["/moby.filesync.v1.FileSync/DiffCopy", (call: ServerCall) => {
      const name = decodeOpt(call.metadata, "dir-name")[0] ?? "";
      const local = config.locals?.[name];
      if (!local) return call.fail(Status.NOT_FOUND, `no access allowed to dir "${name}"`);
      const include = decodeOpt(call.metadata, "include-patterns");
      const exclude = decodeOpt(call.metadata, "exclude-patterns");
      const follow = decodeOpt(call.metadata, "followpaths");
      sendDir(packetStream(call), local.dir, {
        includePatterns: include.length ? include : local.includePatterns,
        excludePatterns: exclude.length ? exclude : local.excludePatterns,
        followPaths: follow.length ? follow : local.followPaths,
        stats: sent,
      }).then(() => call.end(), fail(call));
    }],
    ["/moby.filesync.v1.FileSend/DiffCopy", (call: ServerCall) => {
      const index = Number(call.metadata.get(EXPORTER_ID)?.[0] ?? "0");
      const target = config.exports?.[index];
      if (!target) return fail(call)(new Error(`exporter ${index} not found`));
      // The local exporter speaks fsutil packets on this stream, the others
      // send their output as BytesMessages.
      const done = target.kind === "dir"
        ? receiveDir(packetStream(call), target.dir, { stats: received, record: target.record })
        : writeStream(call, target.path, received);
      done.then(() => call.end(), fail(call));
    }],
    unary(
      "/moby.filesync.v1.Auth/Credentials",
      (req) => credentialsFor(req.Host ?? "", config.credentials),
    ),
    unary("/moby.buildkit.secrets.v1.Secrets/GetSecret", (req) => {
      const value = config.secrets?.[req.ID ?? ""];
      return value
        ? { data: Buffer.from(value) }
        : [Status.NOT_FOUND, `secret ${req.ID} not found`];
    }),
    unary("/grpc.health.v1.Health/Check", () => ({ status: 1 })),
    ...(config.ssh && Object.keys(config.ssh).length ? sshHandlers(config.ssh) : []),
    ...contentStoreHandlers(config),
  ]);

  const md = new grpc.Metadata();
  md.set("x-docker-expose-session-uuid", id);
  md.set("x-docker-expose-session-name", config.name ?? "melange2");
  md.set("x-docker-expose-session-sharedkey", config.sharedKey ?? id);
  // The daemon calls only the methods a session says it serves.
  for (const m of Object.keys(handlers)) md.add("x-docker-expose-session-grpc-method", m);

  const call = (control as any).Session(md) as grpc.ClientDuplexStream<
    Buffer,
    { data?: Buffer }
  >;
  const transport = sessionTransport(call, () => server.drained());
  // Exports arrive on this inner connection: its windows are opened wide
  // (left at 64 KiB, the daemon stalls after every 64 KiB until our update
  // reaches it).
  const server = h2Server(transport, { window: WINDOW, onStream: grpcServer(handlers) });
  call.on("data", (m: { data?: Buffer }) => {
    if (m.data?.length) server.receive(m.data);
  });

  const done = new Promise<void>((resolve, reject) => {
    call.on("end", () => {
      server.close();
      resolve();
    });
    call.on("error", (err: grpc.ServiceError) => {
      server.close(err);
      err.code === grpc.status.CANCELLED ? resolve() : reject(err);
    });
  });
  done.catch(() => {});
  return {
    id,
    sent,
    received,
    done,
    close() {
      transport.close();
      call.cancel();
      server.close();
    },
  };
}

/** Bytes gathered before a batch is sent without waiting for the timer. */
const BATCH_AT = 256 * 1024;
/** Room before a batch for its BytesMessage header (a tag and a varint). */
const HEAD_ROOM = 6;
/** Size of the pooled message buffers: a batch plus one last frame. */
const POOLED = HEAD_ROOM + BATCH_AT + 32 * 1024;
/** Most message buffers kept for reuse. */
const POOL_MAX = 16;

/**
 * The Session call as the inner connection's transport. Every outer message
 * costs a trip through grpc-js and a socket write, so frames are copied into
 * one buffer for up to a millisecond (or 256 KiB) and sent as one
 * BytesMessage, whose header goes in front of the data in the same buffer.
 * Gathering only to the end of the event loop's turn sent three times as many
 * messages on an export, one per handful of file requests.
 */
function sessionTransport(
  call: grpc.ClientDuplexStream<Buffer, { data?: Buffer }>,
  drained: () => void,
): Transport & { close(): void } {
  // Message buffers come back when grpc-js has framed (copied) them.
  const pool: Buffer[] = [];
  let buf: Buffer | undefined;
  let fill = HEAD_ROOM;
  let scheduled: ReturnType<typeof setTimeout> | undefined;
  let waiting = false;
  const flush = () => {
    if (scheduled !== undefined) clearTimeout(scheduled);
    scheduled = undefined;
    if (!buf || fill === HEAD_ROOM) return;
    const head = bytesMessageHeader(fill - HEAD_ROOM);
    const out = buf;
    out.set(head, HEAD_ROOM - head.length);
    const ok = call.write(out.subarray(HEAD_ROOM - head.length, fill), () => {
      if (out.length === POOLED && pool.length < POOL_MAX) pool.push(out);
    });
    buf = undefined;
    fill = HEAD_ROOM;
    if (!ok && !waiting) {
      waiting = true;
      call.once("drain", () => {
        waiting = false;
        drained();
      });
    }
  };
  return {
    write(chunks) {
      for (const c of chunks) {
        if (buf && fill + c.length > buf.length) flush();
        buf ??= c.length <= POOLED - HEAD_ROOM
          ? pool.pop() ?? Buffer.allocUnsafe(POOLED)
          : Buffer.allocUnsafe(HEAD_ROOM + c.length);
        buf.set(c, fill);
        fill += c.length;
      }
      if (fill - HEAD_ROOM >= BATCH_AT) flush();
      else scheduled ??= setTimeout(flush, 1);
      return !waiting;
    },
    close() {
      if (scheduled !== undefined) clearTimeout(scheduled);
      scheduled = undefined;
    },
  };
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
