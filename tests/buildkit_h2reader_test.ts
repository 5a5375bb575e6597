import { Buffer } from "node:buffer";
import { assertEquals } from "./assert.ts";
import { frameReader } from "../lib/buildkit/h2reader.ts";
import { ErrorCode, Flag, frame, FrameType, PREFACE } from "../lib/buildkit/h2frame.ts";

/** Feeds `bytes` in pieces of `step` and records what the reader reports. */
function read(bytes: Buffer, step: number): string[] {
  const seen: string[] = [];
  let data = "";
  const receive = frameReader({
    frame: (type, flags, stream, p) =>
      seen.push(`frame ${type} ${flags} ${stream} ${p.toString()}`),
    data: (_stream, piece) => (data += Buffer.from(piece).toString()),
    dataEnd: (stream, flags) => {
      seen.push(`data ${stream} ${flags} ${data}`);
      data = "";
    },
    error: (code, why) => seen.push(`error ${code} ${why}`),
    closed: () => false,
  });
  for (let at = 0; at < bytes.length; at += step) receive(bytes.subarray(at, at + step));
  return seen;
}

Deno.test("h2reader: frames come out the same however the bytes are split", () => {
  const padded = Buffer.concat([Buffer.from([3]), Buffer.from("pad"), Buffer.alloc(3)]);
  const input = Buffer.concat([
    PREFACE,
    frame(FrameType.SETTINGS, 0, 0),
    frame(FrameType.DATA, 0, 1, Buffer.from("hello ")),
    frame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from("world")),
    frame(FrameType.DATA, Flag.END_STREAM, 3),
    frame(FrameType.DATA, Flag.PADDED, 5, padded),
    frame(FrameType.PING, 0, 0, Buffer.from("12345678")),
  ]);
  const want = [
    `frame ${FrameType.SETTINGS} 0 0 `,
    "data 1 0 hello ",
    `data 1 ${Flag.END_STREAM} world`,
    `data 3 ${Flag.END_STREAM} `,
    `frame ${FrameType.DATA} ${Flag.PADDED} 5 ${padded.toString()}`,
    `frame ${FrameType.PING} 0 0 12345678`,
  ];
  for (const step of [input.length, 1, 2, 5, 9, 10, 17]) {
    assertEquals(read(input, step), want, `step ${step}`);
  }
});

Deno.test("h2reader: a missing preface, an oversized frame and DATA on stream 0 stop the reading", () => {
  assertEquals(read(Buffer.from("GET / HTTP/1.1\r\n\r\n"), 4), [
    `error ${ErrorCode.PROTOCOL_ERROR} the client preface is missing`,
  ]);
  const big = Buffer.concat([PREFACE, frame(FrameType.HEADERS, 0, 1, Buffer.alloc(16385))]);
  assertEquals(read(big, big.length), [
    `error ${ErrorCode.FRAME_SIZE_ERROR} a frame of 16385 bytes`,
  ]);
  const zero = Buffer.concat([
    PREFACE,
    frame(FrameType.DATA, 0, 0, Buffer.from("x")),
    frame(FrameType.PING, 0, 0),
  ]);
  assertEquals(read(zero, 3), [`error ${ErrorCode.PROTOCOL_ERROR} DATA on stream 0`]);
});
