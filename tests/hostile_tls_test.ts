/**
 * Mutual TLS against buildkitd daemons this test starts (own ports, own
 * state; never the shared daemon), with certificates made by openssl:
 * by IP address (verified by the IP SAN, as buildctl does) and by name,
 * and each broken certificate named with what is wrong with it.
 */
import { assert, assertEquals } from "./assert.ts";
import { haveDaemon, withTempDir } from "./support/buildkit.ts";
import { makeCa, makeLeaf, type OwnTlsDaemon, startOwnTlsDaemon } from "./support/certs.ts";
import { runCli } from "./cli.ts";
import { findBuildkitd } from "../lib/build/daemon.ts";

const canRun = haveDaemon && findBuildkitd() !== undefined && Deno.uid() === 0;

const { localRepo } = canRun
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

async function info(addr: string, args: string[]) {
  const res = await runCli(["buildkit", "info", "--buildkit-addr", addr, ...args]);
  assert(!res.stderr.includes("    at "), res.stderr);
  assert(!res.stderr.includes("internal error"), res.stderr);
  return res;
}

/** The one error line of a failed command. */
async function refused(addr: string, args: string[]): Promise<string> {
  const res = await info(addr, args);
  assertEquals(res.code, 1, res.stdout);
  const errors = res.stderr.split("\n").filter((l) => l.startsWith("error: "));
  assertEquals(errors.length, 1, res.stderr);
  return errors[0];
}

Deno.test({
  name: "tls: by IP (IP SAN) and by name; every broken certificate says what is wrong with which",
  ignore: !canRun,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      await makeCa(dir, "ca");
      await makeCa(dir, "other-ca");
      await makeLeaf(dir, "ca", "server", { san: "DNS:localhost,IP:127.0.0.1" });
      await makeLeaf(dir, "ca", "dns-only", { san: "DNS:localhost" });
      const old = { start: "20200101000000Z", end: "20200102000000Z" };
      await makeLeaf(dir, "ca", "old-server", { san: "IP:127.0.0.1", ...old });
      await makeLeaf(dir, "ca", "client");
      await makeLeaf(dir, "ca", "old-client", old);
      await makeLeaf(dir, "other-ca", "foreign-client");

      const base = 12000 + Math.floor(Math.random() * 800);
      const daemons: OwnTlsDaemon[] = [];
      try {
        const good = await startOwnTlsDaemon(dir, "ca", "server", base);
        daemons.push(good);
        const dnsOnly = await startOwnTlsDaemon(dir, "ca", "dns-only", base + 1);
        daemons.push(dnsOnly);
        const expired = await startOwnTlsDaemon(dir, "ca", "old-server", base + 2);
        daemons.push(expired);
        const flags = (cert = "client", key = cert, ca = "ca") => [
          "--tlscacert",
          `${dir}/${ca}.pem`,
          "--tlscert",
          `${dir}/${cert}.pem`,
          "--tlskey",
          `${dir}/${key}.key`,
        ];

        // By IP address with no server name: the certificate's IP SAN is what is checked.
        const byIp = await info(good.addr, flags());
        assertEquals(byIp.code, 0, byIp.stderr);
        assert(byIp.stdout.includes("BuildKit"), byIp.stdout);
        // By name: in the address, or given with --tlsservername.
        const byName = await info(`tcp://localhost:${base}`, flags());
        assertEquals(byName.code, 0, byName.stderr);
        const override = await info(good.addr, [...flags(), "--tlsservername", "localhost"]);
        assertEquals(override.code, 0, override.stderr);

        const at = (d: OwnTlsDaemon) => `error: TLS with BuildKit at ${d.addr} failed: `;
        // A certificate without the IP SAN is refused by IP, and names what it has.
        assertEquals(
          await refused(dnsOnly.addr, flags()),
          `${at(dnsOnly)}the daemon's certificate at ${dnsOnly.addr} does not name the address ` +
            "or --tlsservername used (it names DNS:localhost): connect by a name it has, or give " +
            "one with --tlsservername",
        );
        assert(
          (await refused(good.addr, [...flags(), "--tlsservername", "other.example"]))
            .includes("(it names DNS:localhost, IP Address:127.0.0.1)"),
        );
        // The daemon's certificate expired, or signed by another CA.
        assertEquals(
          await refused(expired.addr, flags()),
          `${
            at(expired)
          }the daemon's certificate at ${expired.addr} (CN=old-server) expired on 2020-01-02`,
        );
        assertEquals(
          await refused(good.addr, flags("client", "client", "other-ca")),
          `${at(good)}the daemon's certificate at ${good.addr} (CN=server) is not signed by the ` +
            `CA in --tlscacert ${dir}/other-ca.pem`,
        );
        // The client's certificate: expired, not matching its key, missing, from another CA.
        assertEquals(
          await refused(good.addr, flags("old-client")),
          `error: client certificate ${dir}/old-client.pem expired on 2020-01-02`,
        );
        assertEquals(
          await refused(good.addr, flags("client", "server")),
          `error: --tlskey ${dir}/server.key is not the key of --tlscert ${dir}/client.pem ` +
            "(they do not match)",
        );
        assertEquals(
          await refused(good.addr, ["--tlscacert", `${dir}/ca.pem`]),
          `error: the daemon at ${good.addr} requires a client certificate: give --tlscert and --tlskey`,
        );
        assertEquals(
          await refused(good.addr, flags("foreign-client")),
          `error: the daemon at ${good.addr} refused the client certificate ` +
            `${dir}/foreign-client.pem: is it signed by the CA the daemon trusts (its --tlscacert)?`,
        );
        // No TLS at all to a TLS daemon.
        assert(
          (await refused(good.addr, [])).includes(
            "does it want TLS? see --tlscacert, --tlscert and --tlskey",
          ),
        );
        // The daemon does not allow security.insecure: a plain build runs there (steps need
        // no entitlement), and --privileged is refused with how to allow it.
        await Deno.writeTextFile(
          `${dir}/sandboxed.yaml`,
          `package:\n  name: sandboxed\n  version: 1.0.0\nenvironment:\n  contents:\n` +
            `    repositories: [${localRepo.repository}]\n    keyring: [${localRepo.publicKey}]\n` +
            "    packages: [busybox]\npipeline:\n  - runs: echo hi > /home/build/x\n",
        );
        const buildArgs = (out: string, extra: string[] = []) => [
          "build",
          `${dir}/sandboxed.yaml`,
          "--buildkit-addr",
          good.addr,
          ...flags(),
          "--arch",
          "x86_64",
          "--progress",
          "quiet",
          "--out-dir",
          `${dir}/${out}`,
          ...extra,
        ];
        const plain = await runCli(buildArgs("out-plain"));
        assertEquals(plain.code, 0, plain.stderr);
        const priv = await runCli(buildArgs("out-priv", ["--privileged"]));
        assertEquals(priv.code, 1, priv.stderr);
        const privErrors = priv.stderr.split("\n").filter((l) => l.startsWith("error: "));
        assertEquals(privErrors.length, 1, priv.stderr);
        assert(
          privErrors[0].includes(`the daemon at ${good.addr} refused an entitlement`),
          priv.stderr,
        );
        assert(
          privErrors[0].includes("--allow-insecure-entitlement security.insecure"),
          priv.stderr,
        );
        assert(!priv.stderr.includes("    at "), priv.stderr);
        // A CA file that is not a certificate.
        await Deno.writeTextFile(`${dir}/garbage.pem`, "not a certificate\n");
        assert(
          (await refused(good.addr, flags("client", "client", "garbage")))
            .startsWith(`error: --tlscacert ${dir}/garbage.pem is not a PEM certificate`),
        );
      } finally {
        for (const d of daemons) await d.stop();
      }
    }),
});
