/**
 * Steps run in BuildKit's default sandbox unless --privileged asks for
 * security.insecure, against the real buildkitd: a default step has only
 * the default capabilities and none of the host's devices, a privileged one
 * has them all, and setcap (CAP_SETFCAP is a default capability) works in
 * the sandbox.
 */
import { assert, assertEquals, assertNotEquals } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { copyFileSync, mkdirSync } from "node:fs";

const { localRepo } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };

/** runc's default capability set, which BuildKit's sandbox keeps (Docker's defaults). */
const DEFAULT_CAPS = 0xa80425fbn;

const probe = (name: string) =>
  `package:
  name: ${name}
  version: 1.0.0
environment:
  contents:
    repositories: [${localRepo.repository}]
    keyring: [${localRepo.publicKey}]
    packages: [busybox]
pipeline:
  - name: probe
    runs: |
      out=\${{targets.destdir}}/probe
      mkdir -p $out
      grep CapEff /proc/self/status | awk '{print $2}' > $out/capeff
      ls /dev > $out/dev
`;

/** The text of `member` in an APK's data. */
async function apkFile(file: string, member: string): Promise<string> {
  const script = [
    "import sys, tarfile",
    "with tarfile.open(sys.argv[1], 'r:gz') as t:",
    "    sys.stdout.write(t.extractfile(sys.argv[2]).read().decode())",
  ].join("\n");
  const out = await new Deno.Command("python3", { args: ["-c", script, file, member] }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

async function buildProbe(dir: string, name: string, extra: string[] = []) {
  await Deno.writeTextFile(`${dir}/${name}.yaml`, probe(name));
  const res = await runCli([
    "build",
    `${dir}/${name}.yaml`,
    "--buildkit-addr",
    ADDR,
    "--progress",
    "plain",
    "--arch",
    "x86_64",
    "--out-dir",
    `${dir}/packages`,
    ...extra,
  ]);
  assertEquals(res.code, 0, res.stderr);
  const apk = `${dir}/packages/x86_64/${name}-1.0.0-r0.apk`;
  return {
    caps: BigInt(`0x${(await apkFile(apk, "probe/capeff")).trim()}`),
    dev: (await apkFile(apk, "probe/dev")).split("\n").filter(Boolean),
  };
}

Deno.test({
  name: "sandbox: a default step has BuildKit's default capabilities and no host devices",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const sandboxed = await buildProbe(dir, "probe-default");
      assertEquals(sandboxed.caps, DEFAULT_CAPS, `CapEff ${sandboxed.caps.toString(16)}`);
      // No CAP_SYS_ADMIN (21), CAP_NET_ADMIN (12), CAP_SYS_MODULE (16), CAP_SYS_PTRACE (19).
      for (const bit of [21n, 12n, 16n, 19n]) assertEquals((sandboxed.caps >> bit) & 1n, 0n);
      // Only the container's own devices: no disks, no kernel log, no memory.
      for (const d of ["kmsg", "mem", "loop0", "sda", "vda", "nvme0"]) {
        assert(!sandboxed.dev.includes(d), `/dev/${d} visible: ${sandboxed.dev.join(" ")}`);
      }
      assert(sandboxed.dev.includes("null") && sandboxed.dev.includes("zero"));

      const privileged = await buildProbe(dir, "probe-privileged", ["--privileged"]);
      assertNotEquals(privileged.caps, sandboxed.caps);
      assertEquals((privileged.caps >> 21n) & 1n, 1n, "CAP_SYS_ADMIN when privileged");
      assert(
        privileged.dev.length > sandboxed.dev.length,
        `privileged /dev: ${privileged.dev.join(" ")}`,
      );
    }),
});

Deno.test({
  name: "sandbox: setcap works in a default step (CAP_SETFCAP is a default capability)",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      // The host's setcap and getcap with their libcap, run on the
      // environment's glibc; the environment's busybox has no setcap.
      const src = `${dir}/src`;
      mkdirSync(src);
      for (const f of ["/usr/sbin/setcap", "/usr/sbin/getcap"]) {
        copyFileSync(f, `${src}/${f.split("/").pop()}`);
      }
      const ldd = new TextDecoder().decode(
        (await new Deno.Command("ldd", { args: ["/usr/sbin/setcap"] }).output()).stdout,
      );
      const libcap = /libcap\.so\.2 => (\S+)/.exec(ldd)?.[1];
      assert(libcap, ldd);
      copyFileSync(libcap, `${src}/libcap.so.2`);
      await Deno.writeTextFile(
        `${dir}/pinger.yaml`,
        `package:
  name: pinger
  version: 1.0.0
environment:
  contents:
    repositories: [${localRepo.repository}]
    keyring: [${localRepo.publicKey}]
    packages: [busybox, glibc]
pipeline:
  - runs: |
      mkdir -p \${{targets.destdir}}/usr/bin
      cp /bin/busybox \${{targets.destdir}}/usr/bin/pinger
      LD_LIBRARY_PATH=. ./setcap cap_net_raw+ep \${{targets.destdir}}/usr/bin/pinger
      LD_LIBRARY_PATH=. ./getcap \${{targets.destdir}}/usr/bin/pinger | grep cap_net_raw=ep
`,
      );
      const res = await runCli([
        "build",
        `${dir}/pinger.yaml`,
        "--buildkit-addr",
        ADDR,
        "--progress",
        "plain",
        "--arch",
        "x86_64",
        "--source-dir",
        src,
        "--out-dir",
        `${dir}/packages`,
      ]);
      // The step checks with getcap that the capability is set: the build fails otherwise.
      assertEquals(res.code, 0, res.stderr);
    }),
});
