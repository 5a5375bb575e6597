import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import {
  busyboxStep,
  haveDaemon,
  makeCerts,
  startTlsDaemon,
  withTempDir,
} from "./support/buildkit.ts";
import { Client } from "../lib/buildkit/client.ts";
import { UserError } from "../lib/errors.ts";
import { marshal } from "../lib/llb/mod.ts";
import { resolveAddress } from "../lib/buildkit/address.ts";
import { runCli } from "./cli.ts";

Deno.test("addresses: the flag beats BUILDKIT_HOST, which beats the default socket", () => {
  assertEquals(resolveAddress("tcp://a:1", "unix:///b"), "tcp://a:1");
  assertEquals(resolveAddress(undefined, "unix:///b"), "unix:///b");
  // An empty BUILDKIT_HOST is unset (passing undefined would read the real one).
  assertEquals(resolveAddress(undefined, ""), "unix:///run/buildkit/buildkitd.sock");
});

Deno.test({
  name:
    "tls: mutual TLS works with the right CA; a wrong CA and a daemon without the entitlement fail clearly",
  ignore: !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const daemon = await startTlsDaemon(11300 + Math.floor(Math.random() * 500));
    try {
      const d = daemon.dir;
      const tls = {
        addr: daemon.addr,
        tlsCaCert: `${d}/ca.pem`,
        tlsCert: `${d}/client.pem`,
        tlsKey: `${d}/client.key`,
        tlsServerName: "localhost",
      };
      const good = Client.connect(tls);
      try {
        const workers = await good.listWorkers();
        assert(workers.length >= 1, "the TLS daemon lists its worker");
        // The same daemon was started without security.insecure: asking for it fails clearly.
        await withTempDir(async (dir) => {
          const st = await busyboxStep(dir, { shell: "true", security: "insecure" });
          const err = await assertRejects(
            () =>
              good.solve({
                definition: marshal(st.root()).bytes,
                locals: { rootfs: `${dir}/rootfs` },
                entitlements: ["security.insecure"],
              }),
            UserError,
          );
          assertStringIncludes(err.message, "security.insecure");
          assertStringIncludes(err.message, "--allow-insecure-entitlement");
        });
      } finally {
        good.close();
      }

      await withTempDir(async (other) => {
        await makeCerts(other, "other-");
        const res = await runCli([
          "buildkit",
          "workers",
          "--buildkit-addr",
          daemon.addr,
          "--tlscacert",
          `${other}/other-ca.pem`,
          "--tlscert",
          `${d}/client.pem`,
          "--tlskey",
          `${d}/client.key`,
          "--tlsservername",
          "localhost",
        ]);
        assertEquals(res.code, 1);
        assertStringIncludes(res.stderr, "TLS");
        assertStringIncludes(res.stderr, daemon.addr);
        assert(!res.stderr.includes("    at "), "no stack trace");
      });

      const plain = await runCli(["buildkit", "workers", "--buildkit-addr", daemon.addr]);
      assertEquals(plain.code, 1, "a TLS daemon refuses a client without certificates");
    } finally {
      await daemon.stop();
    }
  },
});
