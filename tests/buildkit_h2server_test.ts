/**
 * The session's HTTP/2 server and gRPC call layer against independent
 * clients: Deno's node:http2 (nghttp2) in process, and grpc-js over a unix
 * socket. The daemon's own client (grpc-go) is exercised by the transfer,
 * solve and secrets tests.
 */
import http2 from "node:http2";
import { Duplex } from "node:stream";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { type H2Server, h2Server, type Transport } from "../lib/buildkit/h2server.ts";
import { grpcServer, type Handler, Status } from "../lib/buildkit/grpcserver.ts";
import { rawCodec } from "../lib/buildkit/rpc.ts";
import hpack from "hpack.js";
import {
  Flag,
  frame,
  FrameType,
  PREFACE,
  Setting,
  settingsFrame,
  windowUpdateFrame,
} from "../lib/buildkit/h2frame.ts";

interface Options {
  /** Bytes per piece handed to the server (splits frames anywhere). */
  piece?: number;
  /** The transport says "wait" after this many bytes, until a timer drains it. */
  backpressureAt?: number;
  window?: number;
}

/** A node:http2 client session connected to an h2Server serving `handlers`. */
function connect(handlers: Record<string, Handler>, opts: Options = {}) {
  let sinceDrain = 0;
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      const copy = Buffer.from(chunk);
      const step = opts.piece ?? copy.length;
      for (let at = 0; at < copy.length; at += step) server.receive(copy.subarray(at, at + step));
      cb();
    },
  });
  const transport: Transport = {
    write(chunks) {
      // The server's pieces may be views of buffers it reuses: copy, as the session does.
      for (const c of chunks) {
        socket.push(Buffer.from(c));
        sinceDrain += c.length;
      }
      if (opts.backpressureAt === undefined || sinceDrain < opts.backpressureAt) return true;
      setTimeout(() => {
        sinceDrain = 0;
        server.drained();
      }, 1);
      return false;
    },
  };
  const server: H2Server = h2Server(transport, {
    window: opts.window,
    onStream: grpcServer(handlers),
  });
  const client = http2.connect("http://localhost", { createConnection: () => socket as any });
  // Nothing in an in-memory connection holds the event loop open.
  const alive = setInterval(() => {}, 1000);
  return { client, close: () => (clearInterval(alive), client.close(), server.close()) };
}

/** Length-prefixed gRPC messages. */
function frameAll(msgs: Uint8Array[]): Buffer {
  return Buffer.concat(msgs.flatMap((m) => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(m.length, 1);
    return [head, Buffer.from(m)];
  }));
}

function unframe(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < b.length;) {
    const len = b.readUInt32BE(at + 1);
    out.push(b.subarray(at + 5, at + 5 + len));
    at += 5 + len;
  }
  return out;
}

/** Makes a call and collects the response: headers, messages and trailers. */
function call(
  client: http2.ClientHttp2Session,
  path: string,
  body: Uint8Array[],
  extra: Record<string, string | string[]> = {},
) {
  const req = client.request({
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc",
    te: "trailers",
    ...extra,
  });
  const parts: Buffer[] = [];
  let headers: http2.IncomingHttpHeaders = {};
  let trailers: http2.IncomingHttpHeaders = {};
  req.on("response", (h) => (headers = h));
  req.on("trailers", (t) => (trailers = t));
  req.on("data", (d: Buffer) => parts.push(d));
  const done = new Promise<{ headers: typeof headers; trailers: typeof trailers; msgs: Buffer[] }>(
    (resolve, reject) => {
      req.on("end", () => resolve({ headers, trailers, msgs: unframe(Buffer.concat(parts)) }));
      req.on("error", reject);
    },
  );
  req.end(frameAll(body));
  return { req, done };
}

/** Echoes every message back, then ends OK. */
const echo: Handler = async (c) => {
  for await (const m of c) await c.send(Buffer.from(m));
  c.end();
};

/** Messages of assorted sizes: empty, small, spanning frames, larger than a window. */
function assorted(): Uint8Array[] {
  const sizes = [0, 1, 100, 16384, 16385, 40000, 70000, 300000];
  return sizes.map((n, i) => {
    const m = new Uint8Array(n);
    for (let j = 0; j < n; j++) m[j] = (i * 31 + j * 7) & 0xff;
    return m;
  });
}

Deno.test("h2server: messages of every size round-trip through node:http2, whole and byte by byte", async () => {
  for (const opts of [{}, { piece: 1 }, { piece: 7, backpressureAt: 10000 }]) {
    const h = connect({ "/t.Echo/Bidi": echo }, opts);
    try {
      const sent = assorted();
      const res = await call(h.client, "/t.Echo/Bidi", sent).done;
      assertEquals(Number(res.headers[":status"]), 200);
      assertEquals(res.headers["content-type"], "application/grpc");
      assertEquals(res.trailers["grpc-status"], "0");
      assertEquals(res.msgs.map((m) => m.length), sent.map((m) => m.length));
      res.msgs.forEach((m, i) =>
        assert(Buffer.compare(m, Buffer.from(sent[i])) === 0, `message ${i}`)
      );
    } finally {
      h.close();
    }
  }
});

Deno.test("h2server: sends more than the client's window, waiting for its updates", async () => {
  const big = new Uint8Array(3 << 20).map((_, i) => i & 0xff);
  const h = connect({
    "/t.Big/Get": async (c) => {
      for await (const _ of c) { /* the request */ }
      await c.send(big);
      c.end();
    },
  });
  try {
    // node:http2's client starts with 64 KiB windows.
    const res = await call(h.client, "/t.Big/Get", [new Uint8Array(0)]).done;
    assertEquals(res.trailers["grpc-status"], "0");
    assertEquals(res.msgs.length, 1);
    assert(Buffer.compare(res.msgs[0], Buffer.from(big)) === 0, "content");
  } finally {
    h.close();
  }
});

Deno.test("h2server: many streams at once, each with its own data", async () => {
  const h = connect({ "/t.Echo/Bidi": echo }, { window: 65535 });
  try {
    const calls = Array.from({ length: 20 }, (_, i) => {
      const msgs = [new Uint8Array(50000 + i).fill(i), new Uint8Array(i).fill(255 - i)];
      return { msgs, res: call(h.client, "/t.Echo/Bidi", msgs).done };
    });
    for (const { msgs, res } of calls) {
      const r = await res;
      assertEquals(r.msgs.map((m) => Buffer.from(m)), msgs.map((m) => Buffer.from(m)));
    }
  } finally {
    h.close();
  }
});

Deno.test("grpcserver: metadata keeps repeated values; unknown methods and failures end with a status", async () => {
  let seen: string[] | undefined;
  const h = connect({
    "/t.Md/Get": (c) => {
      seen = c.metadata.get("x-list");
      c.end();
    },
    "/t.Fail/Now": (c) => c.fail(Status.NOT_FOUND, "no such thing: é 100%"),
    "/t.Echo/Bidi": echo,
  });
  try {
    const md = await call(h.client, "/t.Md/Get", [], { "x-list": ["a, b", "c"] }).done;
    assertEquals(seen, ["a, b", "c"]);
    // Nothing was sent before the status: one HEADERS frame ends the call.
    assertEquals(md.headers["grpc-status"], "0");

    const unknown = await call(h.client, "/t.Nope/Nope", []).done;
    assertEquals(unknown.headers["grpc-status"], String(Status.UNIMPLEMENTED));

    // A message over the limit, or compressed, is refused by its prefix alone.
    for (
      const [flag, len, code] of [[0, 17 << 20, Status.RESOURCE_EXHAUSTED], [
        1,
        3,
        Status.UNIMPLEMENTED,
      ]]
    ) {
      const req = h.client.request({ ":method": "POST", ":path": "/t.Echo/Bidi" });
      const status = new Promise((resolve) =>
        req.on("response", (hd) => resolve(hd["grpc-status"]))
      );
      req.on("data", () => {});
      req.on("error", () => {});
      const prefix = Buffer.alloc(8);
      prefix[0] = flag;
      prefix.writeUInt32BE(len, 1);
      req.end(prefix);
      assertEquals(await status, String(code));
    }

    const failed = await call(h.client, "/t.Fail/Now", []).done;
    assertEquals(failed.headers["grpc-status"], String(Status.NOT_FOUND));
    assertEquals(failed.headers["grpc-message"], "no such thing: %C3%A9 100%25");
  } finally {
    h.close();
  }
});

Deno.test("grpcserver: a client's reset ends the server's iteration with an error", async () => {
  const ended = Promise.withResolvers<string>();
  const h = connect({
    "/t.Slow/Read": async (c) => {
      try {
        for await (const _ of c) { /* until the reset */ }
        ended.resolve("ended normally");
      } catch (err) {
        ended.resolve((err as Error).message);
      }
    },
  });
  try {
    const req = h.client.request({ ":method": "POST", ":path": "/t.Slow/Read" });
    req.on("error", () => {});
    req.write(frameAll([new Uint8Array(10)]));
    await new Promise((r) => setTimeout(r, 20));
    req.close(http2.constants.NGHTTP2_CANCEL);
    const why = await ended.promise;
    assert(why.includes("cancelled by the peer"), why);
  } finally {
    h.close();
  }
});

Deno.test("h2server: answers PING", async () => {
  const h = connect({});
  try {
    // node:http2 sends a PING only once it is connected.
    await new Promise((r) => h.client.once("connect", r));
    const payload = Buffer.from("12345678");
    const pong = await new Promise<Buffer>((resolve, reject) =>
      h.client.ping(payload, (err, _ms, p) => err ? reject(err) : resolve(p))
    );
    assertEquals(pong, payload);
  } finally {
    h.close();
  }
});

/** The frames a server wrote, as [type, flags, stream, payload]. */
function framesOf(out: Buffer): [number, number, number, Buffer][] {
  const frames: [number, number, number, Buffer][] = [];
  for (let at = 0; at + 9 <= out.length;) {
    const len = out.readUIntBE(at, 3);
    frames.push([
      out[at + 3],
      out[at + 4],
      out.readUInt32BE(at + 5),
      out.subarray(at + 9, at + 9 + len),
    ]);
    at += 9 + len;
  }
  return frames;
}

Deno.test("h2server: a peer's SETTINGS and WINDOW_UPDATEs govern what it is sent", () => {
  let out = Buffer.alloc(0);
  const server = h2Server({
    write(chunks) {
      out = Buffer.concat([out, ...chunks.map((c) => Buffer.from(c))]);
      return true;
    },
  }, {
    onStream: grpcServer({
      "/t.S/Get": (c) => {
        c.post(new Uint8Array(95).fill(7)); // 100 bytes with the prefix
        c.end();
      },
    }),
  });
  const encoder = hpack.compressor.create({ table: { size: 4096 } });
  encoder.write([[":method", "POST"], [":path", "/t.S/Get"], [":scheme", "http"], [
    ":authority",
    "x",
  ]].map(([name, value]) => ({ name, value })));
  const block = encoder.read() as Buffer;
  server.receive(Buffer.concat([
    PREFACE,
    settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 30], [Setting.MAX_FRAME_SIZE, 16384]]),
    frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, block),
  ]));
  let frames = framesOf(out);
  // Our SETTINGS, the ACK of theirs, the response headers, then DATA up to their window.
  assertEquals(frames[0][0], FrameType.SETTINGS);
  assert(frames.some(([t, f]) => t === FrameType.SETTINGS && f === Flag.ACK), "settings ack");
  const data = () => frames.filter(([t]) => t === FrameType.DATA).map(([, , , p]) => p.length);
  assertEquals(data(), [30]);
  // A larger initial window opens every stream by the difference...
  server.receive(settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 50]]));
  frames = framesOf(out);
  assertEquals(data(), [30, 20]);
  // ...and a window update lets the rest go, then the trailers end the stream.
  server.receive(windowUpdateFrame(1, 1000));
  frames = framesOf(out);
  assertEquals(data(), [30, 20, 50]);
  const last = frames.at(-1)!;
  assertEquals([last[0], last[1] & Flag.END_STREAM, last[2]], [
    FrameType.HEADERS,
    Flag.END_STREAM,
    1,
  ]);
  server.close();
});

Deno.test("h2server: grpc-js calls it over a unix socket, unary and streaming", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const served = (async () => {
    const conn = await listener.accept();
    let pendingWrite = Promise.resolve();
    const server = h2Server({
      write(chunks) {
        // Copies before returning, as the session does; written in order.
        const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        pendingWrite = pendingWrite.then(() => conn.write(all).then(() => {}));
        return true;
      },
    }, {
      onStream: grpcServer({
        "/t.Svc/Unary": async (c) => {
          let req: Uint8Array = new Uint8Array(0);
          for await (const m of c) req = m;
          await c.send(Buffer.from(`hello ${req}`));
          c.end();
        },
        "/t.Svc/Stream": echo,
      }),
    });
    const buf = new Uint8Array(65536);
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        server.receive(buf.slice(0, n));
      }
    } catch { /* closed */ }
    server.close();
  })();
  const Client = grpc.makeGenericClientConstructor({
    Unary: {
      path: "/t.Svc/Unary",
      requestStream: false,
      responseStream: false,
      requestSerialize: rawCodec.encode,
      requestDeserialize: rawCodec.decode,
      responseSerialize: rawCodec.encode,
      responseDeserialize: rawCodec.decode,
    },
    Stream: {
      path: "/t.Svc/Stream",
      requestStream: true,
      responseStream: true,
      requestSerialize: rawCodec.encode,
      requestDeserialize: rawCodec.decode,
      responseSerialize: rawCodec.encode,
      responseDeserialize: rawCodec.decode,
    },
  }, "Svc");
  const client = new Client(`unix:${path}`, grpc.credentials.createInsecure()) as any;
  try {
    const reply = await new Promise<Buffer>((resolve, reject) =>
      client.Unary(
        Buffer.from("melange2"),
        (err: Error | null, r: Buffer) => err ? reject(err) : resolve(r),
      )
    );
    assertEquals(String(reply), "hello melange2");

    const stream = client.Stream();
    const got: Buffer[] = [];
    stream.on("data", (b: Buffer) => got.push(b));
    const end = new Promise((resolve, reject) => {
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    const sent = assorted();
    for (const m of sent) stream.write(Buffer.from(m));
    stream.end();
    await end;
    assertEquals(got.map((b) => b.length), sent.map((m) => m.length));

    await assertRejects(
      () =>
        new Promise((resolve, reject) =>
          client.makeUnaryRequest(
            "/t.Svc/Missing",
            rawCodec.encode,
            rawCodec.decode,
            Buffer.alloc(0),
            (err: Error | null, r: unknown) => err ? reject(err) : resolve(r),
          )
        ),
      Error,
      "unknown method /t.Svc/Missing",
    );
  } finally {
    client.close();
    listener.close();
    await served;
    await Deno.remove(dir, { recursive: true });
  }
});
