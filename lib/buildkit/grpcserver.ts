/**
 * gRPC calls served on h2server.ts's streams: routing by path, metadata from
 * the request headers, length-prefixed messages both ways, status trailers
 * (the gRPC over HTTP/2 protocol: grpc/grpc doc/PROTOCOL-HTTP2.md). Messages
 * stay bytes here; callers decode them with their own codec.
 */
import { Buffer } from "node:buffer";
import type { H2Stream } from "./h2server.ts";
import type { MessageStream } from "./stream.ts";

/** gRPC status codes used here. */
export const Status = {
  OK: 0,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
} as const;

/** A served call: receive by iterating, `send` to answer, `end` or `fail` to finish. */
export interface ServerCall extends MessageStream<Buffer, Uint8Array> {
  readonly path: string;
  /** Request metadata: every value of each key, in order (grpc-go sends one header per value). */
  readonly metadata: Map<string, string[]>;
  /** Ends the call with a status other than OK. */
  fail(code: number, message: string): void;
}

/** Serves one call. */
export type Handler = (call: ServerCall) => void;

/**
 * The largest request message accepted: containerd's limit (an exporter's chunks are 32 KiB,
 * but a cache export writes blobs to the content service in chunks of up to 8 MiB).
 */
const MAX_MESSAGE = 16 << 20;
/**
 * Received bytes a call holds unread before it stops returning window to the
 * peer. At least MAX_MESSAGE, so that a message larger than the window still
 * completes: past it, a whole message is waiting to be read.
 */
const BUFFERED = MAX_MESSAGE;

/** Makes the stream handler for an HTTP/2 server from handlers by path ("/pkg.Service/Method"). */
export function grpcServer(handlers: Record<string, Handler>): (stream: H2Stream) => void {
  return (stream) => {
    const path = stream.headers.get(":path")?.[0] ?? "";
    const call = serverCall(stream, path);
    const handler = handlers[path];
    if (!handler) return call.fail(Status.UNIMPLEMENTED, `unknown method ${path}`);
    handler(call);
  };
}

function serverCall(stream: H2Stream, path: string): ServerCall {
  const queue: Buffer[] = [];
  let done = false;
  let finished = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  // Senders waiting for the stream's queue to drain.
  const drainWaiters: (() => void)[] = [];
  let responded = false;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  // A message's five-byte prefix and body may arrive in any number of pieces.
  const prefix = Buffer.alloc(5);
  let prefixFill = 0;
  let body: Buffer | undefined;
  let bodyFill = 0;
  // Flow control: window goes back to the peer as bytes arrive while little
  // is unread, else as the handler reads.
  let unread = 0;
  let owed = 0;
  const grant = () => {
    if (owed && unread <= BUFFERED) {
      stream.consumed(owed);
      owed = 0;
    }
  };
  stream.onData = (piece) => {
    unread += piece.length;
    owed += piece.length;
    grant();
    let at = 0;
    while (at < piece.length && !finished) {
      if (!body) {
        if (!prefixFill && piece.length - at >= 5) {
          const len = piece[at + 1] * 2 ** 24 +
            (piece[at + 2] << 16 | piece[at + 3] << 8 | piece[at + 4]);
          if (!checkPrefix(piece[at], len)) return;
          at += 5;
          if (piece.length - at >= len) {
            // Whole in this piece: a view of it will do.
            queue.push(Buffer.from(piece.buffer, piece.byteOffset + at, len));
            at += len;
            continue;
          }
          body = Buffer.allocUnsafe(len);
          bodyFill = 0;
          continue;
        }
        const take = Math.min(5 - prefixFill, piece.length - at);
        prefix.set(piece.subarray(at, at + take), prefixFill);
        prefixFill += take;
        at += take;
        if (prefixFill < 5) break;
        prefixFill = 0;
        const len = prefix.readUInt32BE(1);
        if (!checkPrefix(prefix[0], len)) return;
        body = Buffer.allocUnsafe(len);
        bodyFill = 0;
      }
      const take = Math.min(body.length - bodyFill, piece.length - at);
      body.set(piece.subarray(at, at + take), bodyFill);
      bodyFill += take;
      at += take;
      if (bodyFill === body.length) {
        queue.push(body);
        body = undefined;
      }
    }
    notify();
  };
  const checkPrefix = (compressed: number, len: number): boolean => {
    if (compressed) call.fail(Status.UNIMPLEMENTED, "compressed messages are not supported");
    else if (len > MAX_MESSAGE) {
      call.fail(Status.RESOURCE_EXHAUSTED, `a message of ${len} bytes (limit ${MAX_MESSAGE})`);
    } else return true;
    return false;
  };
  stream.onEnd = () => {
    done = true;
    notify();
  };
  stream.onAbort = (err) => {
    failure ??= new Error(`stream cancelled by the peer: ${err.message}`);
    done = finished = true;
    notify();
    drainWaiters.splice(0).forEach((w) => w());
  };
  stream.onDrain = () => drainWaiters.splice(0).forEach((w) => w());

  const respond = () => {
    if (responded) return;
    responded = true;
    stream.respond([[":status", "200"], ["content-type", "application/grpc"]]);
  };
  const write = (msg: Uint8Array, written?: () => void): boolean => {
    respond();
    const head = Buffer.allocUnsafe(5);
    head[0] = 0;
    head.writeUInt32BE(msg.length, 1);
    return stream.write([head, msg], written);
  };
  const finish = (code: number, message?: string) => {
    if (finished) return;
    finished = true;
    const status: [string, string][] = [["grpc-status", String(code)]];
    if (message) status.push(["grpc-message", encodeMessage(message)]);
    stream.end(
      responded ? status : [[":status", "200"], ["content-type", "application/grpc"], ...status],
    );
    responded = true;
  };

  const call: ServerCall = {
    path,
    metadata: stream.headers,
    async *[Symbol.asyncIterator]() {
      while (true) {
        const m = queue.shift();
        if (m) {
          unread -= m.length + 5;
          grant();
          yield m;
          continue;
        }
        if (failure) throw failure;
        if (done) return;
        await new Promise<void>((r) => (wake = r));
      }
    },
    send(msg, written) {
      if (failure) return Promise.reject(failure);
      if (finished) return Promise.resolve();
      if (write(msg, written)) return Promise.resolve();
      return new Promise((resolve, reject) =>
        drainWaiters.push(() => failure ? reject(failure) : resolve())
      );
    },
    post(msg) {
      if (!finished) write(msg);
    },
    end() {
      finish(Status.OK);
    },
    fail(code, message) {
      finish(code, message);
    },
  };
  return call;
}

/** grpc-message is percent-encoded outside printable ASCII (and '%' itself). */
function encodeMessage(message: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(message)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
