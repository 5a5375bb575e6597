import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ProgressWriter } from "../lib/buildkit/progress.ts";
import { goTime, solveStatusJson, type StatusResponse } from "../lib/buildkit/rawjson.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const ts = (seconds: number) => ({ seconds, nanos: 0 });

const MESSAGES: StatusResponse[] = [
  { vertexes: [{ digest: "a", name: "copy apko rootfs" }, { digest: "b", name: "build" }] },
  {
    vertexes: [{
      digest: "a",
      name: "copy apko rootfs",
      cached: true,
      started: ts(10),
      completed: ts(10),
    }],
  },
  { vertexes: [{ digest: "b", name: "build", started: ts(11) }] },
  { logs: [{ vertex: "b", msg: enc("compiling\nlinking") }] },
  { logs: [{ vertex: "b", msg: enc(" done\n") }] },
  { vertexes: [{ digest: "b", name: "build", started: ts(11), completed: ts(13.5) }] },
];

function run(mode: "plain" | "rawjson" | "quiet") {
  let out = "";
  const p = new ProgressWriter(mode, (s) => (out += s));
  for (const m of MESSAGES) p.update(m);
  const summary = p.finish();
  return { out, summary };
}

Deno.test("progress plain: numbered steps, CACHED, durations, indented output, summary", () => {
  const { out, summary } = run("plain");
  assertEquals(out.split("\n").slice(0, 6), [
    "[1/2] copy apko rootfs",
    "-> copy apko rootfs (0.0s) [CACHED]",
    "[2/2] build",
    "   | compiling",
    "   | linking done",
    "-> build (2.5s) [done]",
  ]);
  assertEquals({ steps: summary.steps, cached: summary.cached, executed: summary.executed }, {
    steps: 2,
    cached: 1,
    executed: 1,
  });
  assertEquals(out.split("\n").slice(6, 11), [
    "Build summary:",
    "  total:    2 steps",
    "  cached:   1",
    "  executed: 1",
    `  duration: ${(summary.durationMs / 1000).toFixed(1)}s`,
  ]);
});

Deno.test("progress: a step BuildKit ends and starts again at once gets one end line, with its whole time", () => {
  // What a local source's vertex does: a 40 µs interval, then the transfer.
  const src = { digest: "s", name: "local://src" };
  let out = "";
  const p = new ProgressWriter("plain", (s) => (out += s));
  p.update({ vertexes: [src] });
  p.update({
    vertexes: [{ ...src, started: ts(100), completed: { seconds: 100, nanos: 40_000 } }],
  });
  p.update({ vertexes: [{ ...src, started: { seconds: 100, nanos: 300_000 } }] });
  assertEquals(p.steps.get("s")!.completed, undefined, "running again");
  p.update({ statuses: [{ ID: "transferring src:", vertex: "s", current: 5 }] });
  p.update({
    vertexes: [{ ...src, started: { seconds: 100, nanos: 300_000 }, completed: ts(111.4) }],
  });
  const summary = p.finish();
  assertEquals(out.split("\n").slice(0, 2), ["[1/1] local://src", "-> local://src (11.4s) [done]"]);
  assertEquals(out.match(/-> local/g)?.length, 1);
  assertEquals(summary.executed, 1);
});

Deno.test("progress plain: a step's end is printed a moment after it ends, without waiting for more", async () => {
  let out = "";
  const p = new ProgressWriter("plain", (s) => (out += s));
  p.update({ vertexes: [{ digest: "r", name: "run", started: ts(1), completed: ts(3) }] });
  assertEquals(out, "[1/1] run\n");
  await new Promise((r) => setTimeout(r, 250));
  assertEquals(out, "[1/1] run\n-> run (2.0s) [done]\n");
  p.finish();
  assertEquals(out.match(/-> run/g)?.length, 1);
});

Deno.test("progress plain: cached steps reported in one message each print their end after their start", () => {
  let out = "";
  const p = new ProgressWriter("plain", (s) => (out += s));
  const cached = (digest: string) => ({
    digest,
    name: `step ${digest}`,
    cached: true,
    started: ts(5),
    completed: ts(5),
  });
  p.update({ vertexes: [cached("a"), cached("b")] });
  assertEquals(out.split("\n").slice(0, 4), [
    "[1/2] step a",
    "-> step a (0.0s) [CACHED]",
    "[2/2] step b",
    "-> step b (0.0s) [CACHED]",
  ]);
  p.finish();
  assertEquals(out.match(/-> step/g)?.length, 2);
});

Deno.test("progress plain: output of a step other than the one last named says whose it is", () => {
  let out = "";
  const p = new ProgressWriter("plain", (s) => (out += s));
  p.update({ vertexes: [{ digest: "a", name: "one", started: ts(1) }] });
  p.update({ vertexes: [{ digest: "b", name: "two", started: ts(1) }] });
  p.update({
    logs: [{ vertex: "a", msg: enc("from one\n") }, { vertex: "b", msg: enc("from two\n") }],
  });
  assertEquals(out.split("\n").slice(0, 4), [
    "[1/1] one",
    "[2/2] two",
    "[1] | from one",
    "   | from two",
  ]);
  p.finish();
});

Deno.test("progress tty: steps in start order, live timers and output of running steps, width-aware", () => {
  for (const columns of [70, 160]) {
    let out = "";
    const p = new ProgressWriter("tty", (s) => (out += s), { columns, rows: 30 });
    // Seen before it starts (BuildKit announces every vertex first): not drawn, not numbered.
    p.update({ vertexes: [{ digest: "w", name: "waiting step that has not started yet" }] });
    p.update({
      vertexes: [{
        digest: "c",
        name: "copy build environment",
        cached: true,
        started: ts(5),
        completed: ts(5),
      }],
    });
    p.update({
      vertexes: [{
        digest: "r",
        name: "uses: go/build " + "x".repeat(200),
        started: ts(Date.now() / 1000 - 3),
      }],
    });
    p.update({
      logs: [{
        vertex: "r",
        msg: enc(Array.from({ length: 9 }, (_, i) => `out ${i}`).join("\n") + "\n"),
      }],
    });
    const frame = p.frame();
    assert(frame.every((l) => [...l].length <= columns), `a line is wider than ${columns}`);
    assertEquals(frame[1].slice(0, 21), " => CACHED [1/3] copy");
    assert(frame[2].startsWith(" => [2/3] uses: go/build xxx"), frame[2]);
    assert(/ 3\.\ds$/.test(frame[2]), `live timer: ${frame[2]}`);
    assertEquals(
      frame.slice(3),
      ["out 3", "out 4", "out 5", "out 6", "out 7", "out 8"].map((o) => ` => => # ${o}`),
    );
    assert(!frame.join("\n").includes("waiting"), "a step that has not started is not drawn");
    p.update({
      vertexes: [{
        digest: "r",
        name: "uses: go/build " + "x".repeat(200),
        started: ts(1),
        completed: ts(4),
      }],
    });
    p.finish();
    const last = out.slice(out.lastIndexOf("\x1b[J") + 3).split("\n");
    assert(last[0].startsWith("[+] Building") && last[0].endsWith("(2/3) FINISHED"), last[0]);
    assertEquals(last.length, 3 + 6, "finished steps collapse to one line, then the summary");
    assertEquals(last[3], "Build summary:");
  }
});

Deno.test("progress rawjson: one JSON line per status, then the summary", () => {
  const { out } = run("rawjson");
  const lines = out.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(lines.length, MESSAGES.length + 1);
  // As buildctl prints client.SolveStatus: Go's field names, RFC 3339 times, base64 bytes.
  assertEquals(lines[1], {
    vertexes: [{
      digest: "a",
      name: "copy apko rootfs",
      started: "1970-01-01T00:00:10Z",
      completed: "1970-01-01T00:00:10Z",
      cached: true,
    }],
  });
  assertEquals(lines[3], {
    logs: [{ vertex: "b", data: btoa("compiling\nlinking"), timestamp: "0001-01-01T00:00:00Z" }],
  });
  assertEquals(lines.at(-1).summary.steps, 2);
});

Deno.test("progress rawjson: times to the nanosecond, statuses with id and current always", () => {
  assertEquals(goTime({ seconds: 1796149463, nanos: 957944698 }), "2026-12-01T18:24:23.957944698Z");
  assertEquals(goTime({ seconds: 1796149463, nanos: 70343000 }), "2026-12-01T18:24:23.070343Z");
  assertEquals(
    JSON.parse(solveStatusJson({
      statuses: [{ ID: "transferring src:", vertex: "v", name: "transferring", current: 0 }],
      warnings: [{ vertex: "v", level: 1, short: enc("careful"), detail: [enc("a")] }],
    })),
    {
      statuses: [{
        id: "transferring src:",
        vertex: "v",
        name: "transferring",
        current: 0,
        timestamp: "0001-01-01T00:00:00Z",
      }],
      warnings: [{ vertex: "v", level: 1, short: btoa("careful"), detail: [btoa("a")] }],
    },
  );
});

Deno.test("progress keeps the last output lines of a failed step for the error", () => {
  let out = "";
  const p = new ProgressWriter("quiet", (s) => (out += s));
  p.update({ vertexes: [{ digest: "x", name: "make", started: ts(1) }] });
  p.update({
    logs: [{
      vertex: "x",
      msg: enc(Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n") + "\n"),
    }],
  });
  p.update({
    vertexes: [{
      digest: "x",
      name: "make",
      started: ts(1),
      completed: ts(2),
      error: "exit code: 2",
    }],
  });
  const failed = p.failedStep()!;
  assertEquals(failed.name, "make");
  assertEquals(failed.tail.length, 20);
  assertEquals(failed.tail.at(-1), "line 29");
  p.finish();
  assert(out === "", "quiet prints nothing");
});
