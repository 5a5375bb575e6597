/**
 * Out directories that cannot be written, against the real buildkitd: a
 * full disk (while receiving the output, and while writing the packages),
 * a read-only file system, a path through a file, an architecture
 * directory that is a file. Each is one message naming the path and the
 * reason (exit 1, not an internal error), and leaves nothing behind.
 * The full and read-only file systems are small tmpfs mounts (root only).
 */
import { assert, assertEquals } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";

const { localRepo } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };

const file = (name: string, bytes: number) =>
  `package:
  name: ${name}
  version: 1.0.0
environment:
  contents:
    repositories: [${localRepo.repository}]
    keyring: [${localRepo.publicKey}]
    packages: [busybox]
pipeline:
  - runs: |
      mkdir -p \${{targets.destdir}}/data
      head -c ${bytes} /dev/urandom > \${{targets.destdir}}/data/blob
`;

async function mount(args: string[]): Promise<boolean> {
  return (await new Deno.Command("mount", { args, stderr: "null" }).output()).success;
}

async function build(yaml: string, outDir: string) {
  const res = await runCli([
    "build",
    yaml,
    "--buildkit-addr",
    ADDR,
    "--progress",
    "quiet",
    "--arch",
    "x86_64",
    "--out-dir",
    outDir,
  ]);
  assertEquals(res.code, 1, res.stderr);
  assert(!res.stderr.includes("    at "), res.stderr);
  assert(!res.stderr.includes("internal error"), res.stderr);
  const errors = res.stderr.split("\n").filter((l) => l.startsWith("error: "));
  assertEquals(errors.length, 1, res.stderr);
  return errors[0];
}

Deno.test({
  name: "outdir: a path through a file, or an arch directory that is a file, is a clear error",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const yaml = `${dir}/small.yaml`;
      writeFileSync(yaml, file("small", 1000));
      writeFileSync(`${dir}/a-file`, "");
      assertEquals(
        await build(yaml, `${dir}/a-file`),
        `error: --out-dir ${dir}/a-file: creating ${dir}/a-file/x86_64: a part of the path is a file, not a directory (ENOTDIR)`,
      );
      mkdirSync(`${dir}/out`);
      writeFileSync(`${dir}/out/x86_64`, "not a directory");
      assertEquals(
        await build(yaml, `${dir}/out`),
        `error: --out-dir ${dir}/out: creating ${dir}/out/x86_64: it exists and is not a directory (EEXIST)`,
      );
    }),
});

Deno.test({
  name: "outdir: a full disk and a read-only file system are clear errors and leave nothing",
  ...needs,
  ignore: needs.ignore || Deno.uid() !== 0,
  fn: () =>
    withTempDir(async (dir) => {
      const small = `${dir}/small-fs`;
      const ro = `${dir}/ro-fs`;
      mkdirSync(small);
      mkdirSync(ro);
      if (!await mount(["-t", "tmpfs", "-o", "size=256k", "tmpfs", small])) {
        console.log("note: cannot mount a tmpfs here; the full-disk cases are not run");
        return;
      }
      try {
        assert(await mount(["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", ro]));
        const big = `${dir}/big.yaml`;
        const medium = `${dir}/medium.yaml`;
        writeFileSync(big, file("big", 1_000_000));
        writeFileSync(medium, file("medium", 150_000));
        // The output is received outside the out directory (lib/build/build.ts stages it in a
        // temporary directory); what does not fit is the package written into it.
        const full = new RegExp(
          `^error: --out-dir ${small}/out: writing ${small}/out/x86_64(/\\S+)?: no space left on the device \\(ENOSPC\\)$`,
        );
        const bigMsg = await build(big, `${small}/out`);
        assert(full.test(bigMsg), bigMsg);
        assertEquals(readdirSync(small), [], "the out directory made for the build is removed");
        assertEquals(
          await build(medium, `${ro}/out`),
          `error: --out-dir ${ro}/out: creating ${ro}/out/x86_64: the file system is read-only (EROFS)`,
        );
        assert(!existsSync(`${ro}/out`));
      } finally {
        await new Deno.Command("umount", { args: [ro], stderr: "null" }).output();
        await new Deno.Command("umount", { args: [small] }).output();
      }
    }),
});
