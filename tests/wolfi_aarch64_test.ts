/**
 * Wolfi's own aarch64 packages (built by melange, in ../shared/fixtures/wolfi)
 * install into an aarch64 test environment from the local repository and run
 * there under QEMU. hello-wolfi was built on Docker Desktop: its files carry a
 * `com.docker.grpcfuse.ownership` extended attribute that Linux has no
 * namespace for, which install skips as apk-tools does.
 */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { arm64Daemon, canStartDaemon } from "./support/daemon.ts";
import { haveShared, sharedPath } from "./shared.ts";
import { runCli } from "./cli.ts";

const FIXTURES = ["hello-wolfi-2.12.1-r1.apk", "libcap-2.69-r0.apk"];

const BUILD_FILE = `package:
  name: hello-wolfi
  version: 2.12.1
  epoch: 1
  description: GNU hello as Wolfi ships it
  copyright:
    - license: GPL-3.0-or-later
test:
  environment:
    contents:
      repositories:
        - /var/cache/melange2/local-repo
      packages:
        - busybox
        - libcap
  pipeline:
    - runs: |
        [ "$(uname -m)" = aarch64 ]
        hello > /tmp/greeting
        cat /tmp/greeting
        grep -qx 'Hello, world!' /tmp/greeting
        # libcap's libraries are aarch64 ELF files (e_machine 183 = 0xb7).
        [ -e /usr/lib/libcap.so.2 ]
        [ "$(od -An -tx1 -j18 -N2 /usr/lib/libcap.so.2.69 | tr -d ' ')" = b700 ]
`;

Deno.test({
  name: "wolfi: melange-built aarch64 packages install and run in an aarch64 test environment",
  ignore: !haveDaemon || !canStartDaemon || !haveShared,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const daemon = await arm64Daemon(ADDR);
    try {
      await withTempDir(async (dir) => {
        const repo = `${dir}/repo/aarch64`;
        await Deno.mkdir(repo, { recursive: true });
        for (const f of FIXTURES) {
          await Deno.copyFile(sharedPath("fixtures", "wolfi", f), `${repo}/${f}`);
        }
        const indexed = await runCli([
          "index",
          "-o",
          `${repo}/APKINDEX.tar.gz`,
          ...FIXTURES.map((f) => `${repo}/${f}`),
        ]);
        assertEquals(indexed.code, 0, indexed.stderr);
        await Deno.writeTextFile(`${dir}/hello-wolfi.yaml`, BUILD_FILE);
        const tested = await runCli([
          "test",
          `${dir}/hello-wolfi.yaml`,
          "--arch",
          "aarch64",
          "--buildkit-addr",
          daemon.addr,
          "--progress",
          "plain",
          // Wolfi's and the Docker Desktop build's keys are not in ../shared.
          "--ignore-signatures",
          // The packages under test come from the out directory.
          "--out-dir",
          `${dir}/repo`,
        ]);
        assertEquals(tested.code, 0, tested.stderr);
        assertStringIncludes(tested.stderr, "Hello, world!");
        assertStringIncludes(tested.stderr, "PASS hello-wolfi-2.12.1-r1 (aarch64)");
      });
    } finally {
      await daemon.stop();
    }
  },
});
