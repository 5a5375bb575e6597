import { Writable } from "node:stream";
import { assertEquals } from "./assert.ts";
import { coalesceWrites } from "../lib/buildkit/session.ts";

/** A grpc-js-like call whose writes go to `stream`, which records each transport write. */
function fakeCall() {
  const writes: string[][] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      writes.push([String(chunk)]);
      cb();
    },
    writev(chunks, cb) {
      writes.push(chunks.map((c) => String(c.chunk)));
      cb();
    },
  });
  const call = { call: { stream }, write: (m: string) => stream.write(m) };
  return { call, writes };
}

Deno.test("session: a tick's messages on a DiffCopy call reach HTTP/2 as one write", async () => {
  const { call, writes } = fakeCall();
  coalesceWrites(call);
  call.write("a");
  call.write("b");
  call.write("c");
  assertEquals(writes, []);
  await new Promise((r) => setTimeout(r, 0));
  call.write("d");
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(writes, [["a", "b", "c"], ["d"]]);
});

Deno.test("session: a call without an HTTP/2 stream under it is left as it is", () => {
  const write = (_m: string) => true;
  const call = { write };
  coalesceWrites(call);
  assertEquals(call.write, write);
});
