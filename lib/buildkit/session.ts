/**
 * The client side of a BuildKit session. `Control.Session` carries a byte
 * stream on which the daemon opens an HTTP/2 connection back to us; we serve
 * gRPC on it: FileSync (local sources), FileSend (exports), Auth, Secrets
 * and Health. The X-Docker-Expose-Session-* headers say what we serve.
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import { randomUUID } from "node:crypto";
import { objectCodec, rawCodec, serviceDefinition } from "./rpc.ts";
import { type } from "./proto.ts";
import { messageStream } from "./stream.ts";
import { type Packet, receiveDir, sendDir, type TransferStats } from "./filesync.ts";
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

const packetType = type("fsutil.types.Packet");
const packetCodec = objectCodec(packetType);

const num = (
  v: unknown,
): number => (typeof v === "number" ? v : Number((v as { toString(): string }).toString()));

/** Decodes a packet without protobufjs' object conversion (no copy of the data). */
function decodePacket(b: Buffer): Packet {
  const m = packetType.decode(b) as unknown as {
    type: number;
    ID: number;
    data: Uint8Array;
    stat?: Record<string, unknown> | null;
  };
  const st = m.stat;
  return {
    type: m.type,
    ID: m.ID,
    data: m.data,
    stat: st
      ? {
        path: st.path as string,
        mode: st.mode as number,
        uid: st.uid as number,
        gid: st.gid as number,
        size: num(st.size),
        modTime: num(st.modTime),
        linkname: st.linkname as string,
        devmajor: num(st.devmajor),
        devminor: num(st.devminor),
        xattrs: Object.keys(st.xattrs as object).length
          ? st.xattrs as Record<string, Uint8Array>
          : undefined,
      }
      : null,
  };
}
const bytesMessage = type("moby.filesync.v1.BytesMessage");

/** Starts a session over `control` (a Control client) and serves `config` on it. */
export function openSession(control: grpc.Client, config: SessionConfig): Session {
  const id = randomUUID().replaceAll("-", "").slice(0, 25);
  const sent: TransferStats = { files: 0, bytes: 0 };
  const received: TransferStats = { files: 0, bytes: 0 };
  const server = new grpc.Server();
  // How many local directories are sending their listings right now.
  let listing = 0;

  server.addService(serviceDefinition("moby.filesync.v1.FileSync"), {
    DiffCopy: (call: grpc.ServerDuplexStream<Packet, Packet>) => {
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
      sendDir(messageStream(call), local.dir, {
        includePatterns: include.length ? include : local.includePatterns,
        excludePatterns: exclude.length ? exclude : local.excludePatterns,
        followPaths: follow.length ? follow : local.followPaths,
        stats: sent,
        onListing: (active) => void (listing += active ? 1 : -1),
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
  });

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
        if (target.kind === "dir") {
          const packets = messageStream<Buffer, Buffer>(call);
          const typed = {
            async *[Symbol.asyncIterator]() {
              for await (const b of packets) yield decodePacket(b);
            },
            send: (p: Packet) => packets.send(packetCodec.encode(p as Record<string, unknown>)),
            post: (p: Packet) => packets.post(packetCodec.encode(p as Record<string, unknown>)),
            end: () => packets.end(),
          };
          receiveDir(typed, target.dir, { stats: received }).then(() => call.end(), fail);
        } else {
          writeStream(messageStream<Buffer, Buffer>(call), target.path, received).then(
            () => call.end(),
            fail,
          );
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
    { data: Buffer },
    { data?: Buffer }
  >;
  const duplex = streamDuplex(call, () => listing > 0);
  // Exports arrive on this inner connection: open its flow-control window wide
  // (grpc-js has no server option for it, so set Node's HTTP/2 settings).
  (server as unknown as { commonServerOptions: { settings?: object } }).commonServerOptions
    .settings = {
      initialWindowSize: 8 << 20,
    };
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  injector.injectConnection(duplex);

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

function unimplemented(_call: unknown, cb: grpc.sendUnaryData<unknown>) {
  cb({ code: grpc.status.UNIMPLEMENTED, details: "not supported by melange2" });
}

/** Bytes gathered before a batch is sent regardless of the timer. */
const BATCH_AT = 64 * 1024;

/**
 * The Session call's messages as a byte duplex for the HTTP/2 server.
 * While `batching()` (a local directory is sending its listing: thousands
 * of small stat frames, each of which would cost a Session message and a
 * socket write), frames are gathered for up to a millisecond and sent as
 * one message. Otherwise every write goes out at once: file data answers
 * requests the daemon waits for, so it must not be held back.
 */
function streamDuplex(
  call: grpc.ClientDuplexStream<{ data: Buffer }, { data?: Buffer }>,
  batching: () => boolean,
): Duplex {
  let pending: Buffer[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = (cb?: (err?: Error | null) => void) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!pending.length) return cb?.();
    const data = pending.length === 1 ? pending[0] : Buffer.concat(pending);
    pending = [];
    size = 0;
    call.write({ data }, cb);
  };
  const write = (chunk: Buffer, cb: (err?: Error | null) => void) => {
    if (!batching()) {
      flush();
      call.write({ data: chunk }, cb);
      return;
    }
    pending.push(chunk);
    size += chunk.length;
    if (size >= BATCH_AT) return flush(cb);
    timer ??= setTimeout(() => flush(), 1);
    cb();
  };
  const duplex = new Duplex({
    read() {
      call.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      write(chunk, cb);
    },
    // HTTP/2 writes frames in bursts: a burst goes out as one message.
    writev(chunks: { chunk: Buffer }[], cb) {
      write(Buffer.concat(chunks.map((c) => c.chunk)), cb);
    },
    final(cb) {
      flush(() => {
        call.end();
        cb();
      });
    },
    destroy(err, cb) {
      if (timer !== undefined) clearTimeout(timer);
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
