/**
 * Cuts a client's HTTP/2 byte stream into frames: the preface, then frame
 * headers and payloads however the bytes were split. DATA payloads (the
 * bulk of a transfer) pass through as views of the received chunks, piece by
 * piece; other frames, and padded DATA, are handed over whole.
 */
import { Buffer } from "node:buffer";
import {
  DEFAULT_MAX_FRAME,
  ErrorCode,
  Flag,
  FrameType,
  HEADER_SIZE,
  PREFACE,
  readHeader,
} from "./h2frame.ts";

/** What the reader finds. */
export interface FrameSink {
  /** A whole frame other than unpadded DATA; `payload` may be a view of the input. */
  frame(type: number, flags: number, stream: number, payload: Uint8Array): void;
  /** The next piece of an unpadded DATA frame's payload. */
  data(stream: number, piece: Uint8Array): void;
  /** An unpadded DATA frame is complete. */
  dataEnd(stream: number, flags: number): void;
  /** The input breaks the protocol: nothing more is read. */
  error(code: number, why: string): void;
  /** True once the connection is closed: the rest of a chunk is dropped. */
  closed(): boolean;
}

const EMPTY = new Uint8Array(0);

/** Returns the function that takes the client's next bytes. */
export function frameReader(sink: FrameSink): (chunk: Uint8Array) => void {
  let prefaceLeft = PREFACE.length;
  const header = Buffer.alloc(HEADER_SIZE);
  let headerFill = 0;
  // The frame whose payload is being read, and for whole frames its buffer.
  let current: { type: number; flags: number; stream: number; left: number } | undefined;
  let payload: Buffer | undefined;
  let payloadFill = 0;
  let failed = false;

  const fail = (code: number, why: string) => {
    failed = true;
    sink.error(code, why);
  };

  /** Checks the preface; returns where frames start in `chunk`, or -1. */
  const preface = (chunk: Uint8Array): number => {
    const take = Math.min(prefaceLeft, chunk.length);
    const from = PREFACE.length - prefaceLeft;
    if (
      Buffer.compare(
        Buffer.from(chunk.buffer, chunk.byteOffset, take),
        PREFACE.subarray(from, from + take),
      )
    ) {
      fail(ErrorCode.PROTOCOL_ERROR, "the client preface is missing");
      return -1;
    }
    prefaceLeft -= take;
    return take;
  };

  return (chunk) => {
    if (failed) return;
    let at = prefaceLeft ? preface(chunk) : 0;
    if (at < 0) return;
    while (at < chunk.length && !failed && !sink.closed()) {
      if (current && !payload) {
        // Unpadded DATA streams through as views of the chunk.
        const take = Math.min(current.left, chunk.length - at);
        sink.data(current.stream, chunk.subarray(at, at + take));
        at += take;
        current.left -= take;
        if (!current.left) {
          const { stream, flags } = current;
          current = undefined;
          sink.dataEnd(stream, flags);
        }
        continue;
      }
      if (current && payload) {
        const take = Math.min(current.left, chunk.length - at);
        payload.set(chunk.subarray(at, at + take), payloadFill);
        payloadFill += take;
        at += take;
        current.left -= take;
        if (!current.left) {
          const { type, flags, stream } = current;
          const p = payload;
          current = payload = undefined;
          sink.frame(type, flags, stream, p);
        }
        continue;
      }
      // A frame header, perhaps split across chunks.
      let h;
      if (headerFill || chunk.length - at < HEADER_SIZE) {
        const take = Math.min(HEADER_SIZE - headerFill, chunk.length - at);
        header.set(chunk.subarray(at, at + take), headerFill);
        headerFill += take;
        at += take;
        if (headerFill < HEADER_SIZE) return;
        headerFill = 0;
        h = readHeader(header, 0);
      } else {
        h = readHeader(chunk, at);
        at += HEADER_SIZE;
      }
      if (h.length > DEFAULT_MAX_FRAME) {
        return fail(ErrorCode.FRAME_SIZE_ERROR, `a frame of ${h.length} bytes`);
      }
      if (h.type === FrameType.DATA && h.stream === 0) {
        return fail(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
      }
      if (h.type === FrameType.DATA && !(h.flags & Flag.PADDED)) {
        if (h.length) current = { ...h, left: h.length };
        else sink.dataEnd(h.stream, h.flags);
      } else if (!h.length) {
        sink.frame(h.type, h.flags, h.stream, EMPTY);
      } else if (chunk.length - at >= h.length) {
        // Whole in this chunk: a view will do.
        at += h.length;
        sink.frame(h.type, h.flags, h.stream, chunk.subarray(at - h.length, at));
      } else {
        current = { ...h, left: h.length };
        payload = Buffer.allocUnsafe(h.length);
        payloadFill = 0;
      }
    }
  };
}
