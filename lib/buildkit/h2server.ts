/**
 * The server side of an HTTP/2 connection carried inside a BuildKit session.
 *
 * Why not node:http2: every byte of a local source or a local export crosses
 * this connection, framed by the daemon in 16 KiB DATA frames. Deno's
 * node:http2 runs nghttp2 behind a JavaScript socket shim, so each frame
 * costs a round of calls between JavaScript and Rust plus stream objects and
 * copies: 1.2-1.4 s of CPU per GiB on the server side alone (replaying a
 * captured 1 GiB gRPC stream, with or without grpc-js above it), on the
 * thread that also runs the outer connection and the file I/O. Here frames
 * are cut straight out of the session's messages, DATA payloads reach the
 * stream as views of them, and outgoing frames are written into the
 * session's next message. HPACK, the one real codec, is hpack.js's.
 *
 * The peer is BuildKit's gRPC client, and the subset is what a server needs:
 * streams opened by the client, flow control both ways, SETTINGS, PING,
 * RST_STREAM, GOAWAY; PRIORITY and unknown frames are ignored.
 */
import { Buffer } from "node:buffer";
import hpack from "hpack.js";
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  frame,
  FrameType,
  goawayFrame,
  HEADER_SIZE,
  parseSettings,
  rstStreamFrame,
  Setting,
  settingsFrame,
  uint32At,
  windowUpdateFrame,
  writeHeader,
} from "./h2frame.ts";
import { frameReader } from "./h2reader.ts";

/** Where the connection's bytes go: the session, which copies them before returning. */
export interface Transport {
  /** Writes `chunks` in order; false asks the connection to wait for {@link H2Server.drained}. */
  write(chunks: Uint8Array[]): boolean;
}

/** A request stream opened by the peer. */
export interface H2Stream {
  readonly id: number;
  /** Request headers, each name with its values in order (pseudo-headers included). */
  readonly headers: Map<string, string[]>;
  /** Request body as it arrives, as views of the received bytes. */
  onData?: (piece: Uint8Array) => void;
  /** The peer has sent all of its body. */
  onEnd?: () => void;
  /** The stream was reset or the connection closed. */
  onAbort?: (err: Error) => void;
  /** Returns `n` bytes of receive window to the peer, once they were used. */
  consumed(n: number): void;
  /** Sends response headers. */
  respond(headers: [string, string][]): void;
  /**
   * Queues body bytes (`parts` in order, sent in as few frames as fit);
   * `written` runs once they were handed to the transport. False when the
   * stream holds more than it should queue: wait for `onDrain`.
   */
  write(parts: Uint8Array[], written?: () => void): boolean;
  /** Called when queued bytes fall back after a write returned false. */
  onDrain?: () => void;
  /**
   * Sends trailers ending the stream after everything queued; a peer still
   * sending is then told to stop (RST_STREAM with NO_ERROR, as gRPC servers do).
   */
  end(trailers: [string, string][]): void;
}

/** Options of {@link h2Server}. */
export interface H2Options {
  /** The receive window of the connection and of each stream. */
  window?: number;
  /** Called for each stream the peer opens. */
  onStream(stream: H2Stream): void;
}

/** A server connection: feed it the peer's bytes. */
export interface H2Server {
  /** Takes the next bytes from the peer; streams may keep views of them, so they must not change. */
  receive(chunk: Uint8Array): void;
  /** The transport can take more after a write returned false. */
  drained(): void;
  /** The transport is gone: aborts every open stream. */
  close(err?: Error): void;
}

/** Bytes a stream queues before `write` asks its writer to wait. */
const QUEUE_HIGH = 256 * 1024;

interface Pending {
  data: Uint8Array;
  written?: () => void;
}

interface StreamState {
  api: H2Stream;
  sendWindow: number;
  /** Window used by received data and not yet granted back. */
  unacked: number;
  queue: Pending[];
  queued: number;
  trailers?: [string, string][];
  remoteDone: boolean;
  localDone: boolean;
  blocked: boolean;
}

/** Starts serving HTTP/2 on `transport`; the peer's preface is expected first. */
export function h2Server(transport: Transport, opts: H2Options): H2Server {
  const window = opts.window ?? DEFAULT_WINDOW;
  const streams = new Map<number, StreamState>();
  const encoder = hpack.compressor.create({ table: { size: 4096 } });
  const decoder = hpack.decompressor.create({ table: { size: 4096 } });
  let peerInitialWindow = DEFAULT_WINDOW;
  let maxFrame = DEFAULT_MAX_FRAME;
  let connSendWindow = DEFAULT_WINDOW;
  let connUnacked = 0;
  let lastStream = 0;
  let backedUp = false;
  let closed = false;
  let headerBlock: { stream: number; flags: number; parts: Uint8Array[] } | undefined;

  const send = (...chunks: Uint8Array[]) => {
    if (closed) return;
    if (!transport.write(chunks)) backedUp = true;
  };

  const fail = (code: number, why: string) => {
    send(goawayFrame(lastStream, code));
    close(new Error(`HTTP/2 connection error: ${why}`));
  };

  const close = (err = new Error("the session closed")) => {
    if (closed) return;
    closed = true;
    for (const s of streams.values()) s.api.onAbort?.(err);
    streams.clear();
  };

  const encodeHeaders = (headers: [string, string][]): Buffer => {
    // Never indexed: nothing enters our table, so the peer's table size
    // setting cannot make what we send stale.
    encoder.write(headers.map(([name, value]) => ({ name, value, neverIndex: true })));
    const parts: Buffer[] = [];
    for (let c = encoder.read(); c; c = encoder.read()) parts.push(c);
    return Buffer.concat(parts);
  };

  const sendHeaders = (id: number, headers: [string, string][], endStream: boolean) => {
    const block = encodeHeaders(headers);
    for (let at = 0; at < block.length || at === 0; at += maxFrame) {
      const last = at + maxFrame >= block.length;
      const flags = (last ? Flag.END_HEADERS : 0) | (at === 0 && endStream ? Flag.END_STREAM : 0);
      send(
        frame(
          at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION,
          flags,
          id,
          block.subarray(at, at + maxFrame),
        ),
      );
      if (last) break;
    }
  };

  const finish = (s: StreamState) => {
    if (s.remoteDone && s.localDone) streams.delete(s.api.id);
  };

  /** Sends queued DATA of `s` as far as windows and the transport allow. */
  const flushStream = (s: StreamState) => {
    while (s.queue.length && !backedUp && !closed) {
      const room = Math.min(maxFrame, s.sendWindow, connSendWindow);
      if (room <= 0) break;
      const parts: Uint8Array[] = [];
      const done: (() => void)[] = [];
      let size = 0;
      while (size < room && s.queue.length) {
        const head = s.queue[0];
        const take = Math.min(room - size, head.data.length);
        parts.push(head.data.subarray(0, take));
        size += take;
        if (take === head.data.length) {
          s.queue.shift();
          if (head.written) done.push(head.written);
        } else head.data = head.data.subarray(take);
      }
      const h = Buffer.allocUnsafe(HEADER_SIZE);
      writeHeader(h, 0, size, FrameType.DATA, 0, s.api.id);
      s.sendWindow -= size;
      connSendWindow -= size;
      s.queued -= size;
      send(h, ...parts);
      for (const d of done) d();
    }
    if (!s.queue.length && s.trailers && !s.localDone) {
      s.localDone = true;
      sendHeaders(s.api.id, s.trailers, true);
      if (!s.remoteDone) {
        s.remoteDone = true;
        send(rstStreamFrame(s.api.id, ErrorCode.NO_ERROR));
      }
      finish(s);
    }
    if (s.blocked && s.queued < QUEUE_HIGH) {
      s.blocked = false;
      s.api.onDrain?.();
    }
  };

  const flushAll = () => {
    for (const s of [...streams.values()]) {
      if (backedUp || closed) return;
      flushStream(s);
    }
  };

  const openStream = (id: number, headers: Map<string, string[]>): StreamState => {
    const s: StreamState = {
      sendWindow: peerInitialWindow,
      unacked: 0,
      queue: [],
      queued: 0,
      remoteDone: false,
      localDone: false,
      blocked: false,
      api: {
        id,
        headers,
        consumed(n) {
          if (s.remoteDone || closed) return;
          s.unacked += n;
          if (s.unacked >= window / 2) {
            send(windowUpdateFrame(id, s.unacked));
            s.unacked = 0;
          }
        },
        respond(h) {
          if (!s.localDone) sendHeaders(id, h, false);
        },
        write(parts, written) {
          if (s.localDone || s.trailers) return true;
          parts.forEach((data, i) => {
            s.queue.push({ data, written: i === parts.length - 1 ? written : undefined });
            s.queued += data.length;
          });
          flushStream(s);
          if (s.queued >= QUEUE_HIGH) s.blocked = true;
          return !s.blocked;
        },
        end(trailers) {
          if (s.localDone || s.trailers) return;
          s.trailers = trailers;
          flushStream(s);
        },
      },
    };
    streams.set(id, s);
    return s;
  };

  const onHeaderBlock = (id: number, flags: number, block: Uint8Array) => {
    let headers: Map<string, string[]>;
    try {
      headers = decodeHeaders(decoder, block);
    } catch (err) {
      return fail(ErrorCode.COMPRESSION_ERROR, (err as Error).message);
    }
    const known = streams.get(id);
    if (known) {
      // Trailers from the client end its side.
      if (flags & Flag.END_STREAM) endRemote(known);
      return;
    }
    if (id <= lastStream || id % 2 === 0) return; // closed or not the client's: ignore
    lastStream = id;
    const s = openStream(id, headers);
    opts.onStream(s.api);
    if (flags & Flag.END_STREAM) endRemote(s);
  };

  const endRemote = (s: StreamState) => {
    if (s.remoteDone) return;
    s.remoteDone = true;
    s.api.onEnd?.();
    finish(s);
  };

  const grantConnection = (n: number) => {
    connUnacked += n;
    if (connUnacked >= window / 2) {
      send(windowUpdateFrame(0, connUnacked));
      connUnacked = 0;
    }
  };

  /** A DATA payload piece (no padding) for stream `id`. */
  const onData = (id: number, piece: Uint8Array) => {
    // The connection's window is granted on arrival: a stream's own window
    // bounds what it buffers, and one slow stream must not stall the rest.
    grantConnection(piece.length);
    const s = streams.get(id);
    if (!s || s.remoteDone) return;
    s.api.onData?.(piece);
  };

  /** A DATA frame with END_STREAM ends the peer's side of its stream. */
  const dataEnd = (id: number, flags: number) => {
    const s = streams.get(id);
    if (s && flags & Flag.END_STREAM) endRemote(s);
  };

  const onFrame = (type: number, flags: number, id: number, p: Uint8Array) => {
    switch (type) {
      case FrameType.DATA: { // only padded DATA is gathered whole
        const pad = p[0] ?? 0;
        grantConnection(1 + pad);
        streams.get(id)?.api.consumed(1 + pad);
        if (p.length > 1 + pad) onData(id, p.subarray(1, p.length - pad));
        return dataEnd(id, flags);
      }
      case FrameType.HEADERS: {
        let block = p;
        if (flags & Flag.PADDED) block = block.subarray(1, block.length - block[0]);
        if (flags & Flag.PRIORITY) block = block.subarray(5);
        if (flags & Flag.END_HEADERS) return onHeaderBlock(id, flags, block);
        headerBlock = { stream: id, flags, parts: [Buffer.from(block)] };
        return;
      }
      case FrameType.CONTINUATION: {
        if (!headerBlock || headerBlock.stream !== id) {
          return fail(ErrorCode.PROTOCOL_ERROR, "unexpected CONTINUATION");
        }
        headerBlock.parts.push(Buffer.from(p));
        if (flags & Flag.END_HEADERS) {
          const { stream, flags: f, parts } = headerBlock;
          headerBlock = undefined;
          onHeaderBlock(stream, f, Buffer.concat(parts));
        }
        return;
      }
      case FrameType.SETTINGS:
        if (flags & Flag.ACK) return;
        for (const [key, value] of parseSettings(p)) {
          if (key === Setting.INITIAL_WINDOW_SIZE) {
            for (const s of streams.values()) s.sendWindow += value - peerInitialWindow;
            peerInitialWindow = value;
          } else if (key === Setting.MAX_FRAME_SIZE) maxFrame = value;
        }
        send(settingsFrame([], true));
        return flushAll();
      case FrameType.PING:
        if (!(flags & Flag.ACK)) send(frame(FrameType.PING, Flag.ACK, 0, p));
        return;
      case FrameType.WINDOW_UPDATE: {
        const inc = uint32At(p) & 0x7fffffff;
        if (id === 0) {
          connSendWindow += inc;
          return flushAll();
        }
        const s = streams.get(id);
        if (s) {
          s.sendWindow += inc;
          flushStream(s);
        }
        return;
      }
      case FrameType.RST_STREAM: {
        const s = streams.get(id);
        if (!s) return;
        streams.delete(id);
        s.api.onAbort?.(new Error(`stream reset by the peer (HTTP/2 error ${uint32At(p)})`));
        return;
      }
      case FrameType.GOAWAY:
        // The daemon is done with the session: streams it started still
        // finish, and the transport's end closes the rest.
        return;
      case FrameType.PUSH_PROMISE:
        return fail(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
      default:
        return; // PRIORITY and extension frames
    }
  };

  const receive = frameReader({
    frame: onFrame,
    data: onData,
    dataEnd,
    error: fail,
    closed: () => closed,
  });

  // Our settings, then the connection window opened to match the streams'.
  send(settingsFrame([[Setting.INITIAL_WINDOW_SIZE, window]]));
  if (window > DEFAULT_WINDOW) send(windowUpdateFrame(0, window - DEFAULT_WINDOW));

  return {
    receive,
    drained() {
      backedUp = false;
      flushAll();
    },
    close,
  };
}

/** Decodes one header block into names with their values. */
function decodeHeaders(
  decoder: ReturnType<typeof hpack.decompressor.create>,
  block: Uint8Array,
): Map<string, string[]> {
  decoder.write(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
  decoder.execute();
  const out = new Map<string, string[]>();
  for (let h = decoder.read(); h; h = decoder.read()) {
    const values = out.get(h.name);
    if (values) values.push(h.value);
    else out.set(h.name, [h.value]);
  }
  return out;
}
