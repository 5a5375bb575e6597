/**
 * HTTP/2 frames (RFC 9113 section 4 and 6): the nine-byte frame header, the
 * frame types and flags, and the few fixed-layout payloads (SETTINGS,
 * WINDOW_UPDATE, PING, RST_STREAM, GOAWAY). Header blocks are HPACK and go
 * through hpack.js; see h2server.ts for why this project frames HTTP/2 itself.
 */
import { Buffer } from "node:buffer";

/** Frame types. */
export const FrameType = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;

/** Frame flags. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** SETTINGS identifiers. */
export const Setting = {
  HEADER_TABLE_SIZE: 1,
  ENABLE_PUSH: 2,
  MAX_CONCURRENT_STREAMS: 3,
  INITIAL_WINDOW_SIZE: 4,
  MAX_FRAME_SIZE: 5,
  MAX_HEADER_LIST_SIZE: 6,
} as const;

/** Error codes (RST_STREAM, GOAWAY). */
export const ErrorCode = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
  FLOW_CONTROL_ERROR: 3,
  STREAM_CLOSED: 5,
  FRAME_SIZE_ERROR: 6,
  CANCEL: 8,
  COMPRESSION_ERROR: 9,
} as const;

/** What a client sends first. */
export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** The size of a frame header. */
export const HEADER_SIZE = 9;

/** The frame size every peer accepts (SETTINGS_MAX_FRAME_SIZE's initial value). */
export const DEFAULT_MAX_FRAME = 16384;

/** The flow-control window every stream and connection starts with. */
export const DEFAULT_WINDOW = 65535;

/** A frame header. */
export interface FrameHeader {
  length: number;
  type: number;
  flags: number;
  stream: number;
}

/** Reads the frame header at `at` in `b` (which holds at least nine bytes from there). */
export function readHeader(b: Uint8Array, at: number): FrameHeader {
  return {
    length: (b[at] << 16) | (b[at + 1] << 8) | b[at + 2],
    type: b[at + 3],
    flags: b[at + 4],
    stream: ((b[at + 5] & 0x7f) << 24 | (b[at + 6] << 16) | (b[at + 7] << 8) | b[at + 8]) >>> 0,
  };
}

/** Writes a frame header into `out` at `at`. */
export function writeHeader(
  out: Uint8Array,
  at: number,
  length: number,
  type: number,
  flags: number,
  stream: number,
): void {
  out[at] = length >>> 16;
  out[at + 1] = length >>> 8;
  out[at + 2] = length;
  out[at + 3] = type;
  out[at + 4] = flags;
  out[at + 5] = (stream >>> 24) & 0x7f;
  out[at + 6] = stream >>> 16;
  out[at + 7] = stream >>> 8;
  out[at + 8] = stream;
}

/** A whole frame with `payload`. */
export function frame(type: number, flags: number, stream: number, payload?: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + (payload?.length ?? 0));
  writeHeader(out, 0, payload?.length ?? 0, type, flags, stream);
  if (payload) out.set(payload, HEADER_SIZE);
  return out;
}

/** A SETTINGS frame with `settings` (identifier, value), or its acknowledgement. */
export function settingsFrame(settings: [number, number][], ack = false): Buffer {
  const p = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, value], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FrameType.SETTINGS, ack ? Flag.ACK : 0, 0, ack ? undefined : p);
}

/** The (identifier, value) pairs of a SETTINGS payload. */
export function parseSettings(p: Uint8Array): [number, number][] {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const out: [number, number][] = [];
  for (let i = 0; i + 6 <= p.length; i += 6) out.push([view.getUint16(i), view.getUint32(i + 2)]);
  return out;
}

/** A WINDOW_UPDATE frame granting `increment` bytes on `stream` (0: the connection). */
export function windowUpdateFrame(stream: number, increment: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(increment & 0x7fffffff);
  return frame(FrameType.WINDOW_UPDATE, 0, stream, p);
}

/** A RST_STREAM frame. */
export function rstStreamFrame(stream: number, code: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(code);
  return frame(FrameType.RST_STREAM, 0, stream, p);
}

/** A GOAWAY frame naming the last stream we processed. */
export function goawayFrame(lastStream: number, code: number): Buffer {
  const p = Buffer.allocUnsafe(8);
  p.writeUInt32BE(lastStream & 0x7fffffff);
  p.writeUInt32BE(code, 4);
  return frame(FrameType.GOAWAY, 0, 0, p);
}

/** A 32-bit big-endian number at `at` (window increments, error codes). */
export function uint32At(p: Uint8Array, at = 0): number {
  return ((p[at] << 24) | (p[at + 1] << 16) | (p[at + 2] << 8) | p[at + 3]) >>> 0;
}
