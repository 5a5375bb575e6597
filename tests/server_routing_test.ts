/**
 * Why a queued job waits, as the build server tells it: no backend runs its
 * architectures, none has its labels, none runs them all at once, or the
 * circuits of all that could are open. Plain data, no daemon asked.
 */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { POOL_DEFAULTS } from "../lib/distro/backends.ts";
import { Routing } from "../lib/server/routing.ts";

Deno.test("routing: a queued job says why it waits, and not when it only waits its turn", () => {
  const r = new Routing({ ...POOL_DEFAULTS, failureThreshold: 1 }, { probe: false });
  assertStringIncludes(r.whyWaiting([]) ?? "", "the server has no backends");
  r.update([
    { addr: "tcp://x86:1", arch: "x86_64", labels: { tier: "big" }, maxJobs: 1 },
    { addr: "tcp://arm:1", arch: "aarch64", labels: {}, maxJobs: 1 },
  ]);
  assertEquals(r.whyWaiting(["x86_64"], { tier: "big" }), undefined);
  assertEquals(r.whyWaiting([]), undefined);
  assertStringIncludes(r.whyWaiting(["riscv64"]) ?? "", "no backend runs riscv64: it stays queued");
  assertStringIncludes(r.whyWaiting(["riscv64"]) ?? "", "backends add ADDR --arch riscv64)");
  assertEquals(
    r.whyWaiting(["aarch64"], { tier: "big" }),
    "no backend that runs aarch64 has the labels tier=big: it stays queued until one is added " +
      "(melange2 remote backends add ADDR --arch aarch64 --label tier=big)",
  );
  assertStringIncludes(r.whyWaiting(["x86_64", "aarch64"]) ?? "", "no single backend runs all");
  // The only backend with the labels failed: its circuit is open.
  const big = r.pool.choose(["x86_64"], { tier: "big" })!;
  assertEquals(r.choose({ id: "j", arch: ["x86_64"], labels: {}, failedOn: [] })?.addr, big.addr);
  r.pool.take(big);
  r.pool.release(big, "daemon-failure");
  assertStringIncludes(
    r.whyWaiting(["x86_64"], { tier: "big" }) ?? "",
    "circuit open: tcp://x86:1); the next trial is in 30 s",
  );
  assertEquals(r.choose({ id: "j", arch: ["x86_64"], labels: {}, failedOn: [] }), undefined);
  // A backend replaced by address keeps its circuit.
  r.update([{ addr: "tcp://x86:1", arch: "*", labels: {}, maxJobs: 1 }]);
  assertEquals(r.pool.status()[0].circuit, "open");
});
