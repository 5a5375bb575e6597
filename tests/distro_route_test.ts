/**
 * The pool routes each architecture to a daemon that runs it natively before
 * one that emulates it, and never to one that cannot run it: the platforms
 * are what the real daemons report (the shared one runs aarch64 under QEMU,
 * a private one started without emulation runs only this machine's).
 */
import { assert, assertEquals } from "./assert.ts";
import { ADDR, haveDaemon } from "./support/buildkit.ts";
import { canStartDaemon, startDaemon } from "./support/daemon.ts";
import { type BackendPlatforms, platformsOf, Pool, probePlatforms } from "../lib/distro/mod.ts";
import { POOL_DEFAULTS, type PoolConfig } from "../lib/distro/backends.ts";
import { hostArch } from "../lib/build/arch.ts";

const pool = (addrs: string[], maxJobs = 2): PoolConfig => ({
  ...POOL_DEFAULTS,
  backends: addrs.map((addr) => ({ addr, arch: "*", labels: {}, maxJobs })),
});

Deno.test("pool: native daemons first, emulating ones when the native are full", () => {
  const platforms = new Map<string, BackendPlatforms>([
    ["x86", { native: "x86_64", runs: ["x86_64", "aarch64"] }],
    ["arm", { native: "aarch64", runs: ["aarch64", "x86_64"] }],
  ]);
  const p = new Pool(pool(["x86", "arm"]), { platforms });
  // aarch64 goes to the native arm daemon even when the x86 one is idle.
  assertEquals(p.acquire("aarch64")?.addr, "arm");
  assertEquals(p.acquire("aarch64")?.addr, "arm");
  // arm is full (2 jobs): emulation on x86 rather than waiting.
  assertEquals(p.acquire("aarch64")?.addr, "x86");
  // x86_64 goes to its native daemon although it is the busier one.
  assertEquals(p.acquire("x86_64")?.addr, "x86");
  assertEquals(p.acquire("x86_64"), undefined);
  // Worker platforms as BuildKit lists them: native first.
  assertEquals(
    platformsOf([{
      platforms: [
        { OS: "linux", Architecture: "arm64" },
        { OS: "linux", Architecture: "amd64" },
        { OS: "linux", Architecture: "amd64", Variant: "v2" },
      ],
    }]),
    { native: "aarch64", runs: ["x86_64", "aarch64"] },
  );
});

Deno.test("pool: a build server's pool: jobs of several archs, slots taken elsewhere, backends changed", () => {
  const platforms = new Map<string, BackendPlatforms>([
    ["x86", { native: "x86_64", runs: ["x86_64", "aarch64"] }],
    ["plain", { native: "x86_64", runs: ["x86_64"] }],
  ]);
  const p = new Pool(pool(["x86", "plain"], 2), { platforms });
  // Every arch of a job must run on the one backend; none: any backend.
  assertEquals(p.matching(["x86_64", "aarch64"]).map((b) => b.addr), ["x86"]);
  assertEquals(p.matching([]).map((b) => b.addr), ["x86", "plain"]);
  // choose() says where, take() takes the slot; two jobs another server runs fill "x86".
  p.setRunningElsewhere({ x86: 1 });
  assertEquals(p.choose("x86_64")?.addr, "plain");
  p.take(p.config.backends[1]);
  p.take(p.config.backends[1]);
  assertEquals(p.available().map((b) => b.addr), ["x86"]);
  p.setRunningElsewhere({ x86: 2 });
  assertEquals(p.available(), []);
  assertEquals(p.choose("x86_64"), undefined);
  // A backend list that changes keeps the state of the backends kept.
  p.release(p.config.backends[1], "daemon-failure");
  p.reconfigure({
    ...p.config,
    backends: [p.config.backends[1], { ...p.config.backends[0], addr: "new" }],
  });
  const status = new Map(p.status().map((s) => [s.backend.addr, s]));
  assertEquals([status.get("plain")?.running, status.get("plain")?.failures], [1, 1]);
  assertEquals([status.get("new")?.running, status.get("new")?.circuit], [0, "closed"]);
  assertEquals(p.available().map((b) => b.addr), ["plain", "new"]);
});

Deno.test({
  name: "pool: real daemons' platforms: aarch64 only where QEMU runs it, the host arch natively",
  ignore: !haveDaemon || !canStartDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const plain = await startDaemon({ noEmulation: true });
    try {
      const config = pool([plain.addr, ADDR, "unix:///nonexistent/buildkitd.sock"], 1);
      const platforms = await probePlatforms(config, 5_000);
      const host = hostArch();
      const foreign = host === "x86_64" ? "aarch64" : "x86_64";
      assertEquals(platforms.get(plain.addr), { native: host, runs: [host] });
      assertEquals(platforms.get(ADDR)?.native, host);
      assert(platforms.get(ADDR)!.runs.includes(foreign), JSON.stringify(platforms.get(ADDR)));
      // An unreachable daemon is not in the map: it keeps what it is configured for.
      assertEquals(platforms.has("unix:///nonexistent/buildkitd.sock"), false);

      const p = new Pool(config, { platforms });
      assertEquals(p.matching(foreign).map((b) => b.addr), [
        ADDR,
        "unix:///nonexistent/buildkitd.sock",
      ]);
      assertEquals(p.emulates(config.backends[1], foreign), true);
      assertEquals(p.emulates(config.backends[1], host), false);
      // Both real daemons run the host arch natively; the plain one never gets the foreign one.
      assertEquals(
        p.acquire(foreign, {}, new Set(["unix:///nonexistent/buildkitd.sock"]))?.addr,
        ADDR,
      );
      assertEquals(
        p.acquire(foreign, {}, new Set(["unix:///nonexistent/buildkitd.sock"]))?.addr,
        undefined,
      );
      assertEquals(p.acquire(host)?.addr, plain.addr);
    } finally {
      await plain.stop();
    }
  },
});
