/**
 * Dependency analysis on the Wolfi fixtures. Two references: what melange's
 * own analysis yields for these exact files (the expectations of melange's
 * pkg/sca tests, which use the same packages), and, for the fixtures that are
 * whole packages, the so:/cmd:/pc: lines melange recorded in their .PKGINFO.
 * (aws-c-s3, neon and libcap were trimmed to a few files for melange's tests,
 * and their .PKGINFO predates current melange, so only the first applies.)
 */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { readFileSync } from "node:fs";
import { analyze } from "../lib/apk/analyze.ts";
import { readApk } from "../lib/apk/archive.ts";
import { scanApk, treeOfData } from "../lib/apk/scan.ts";
import { runCli } from "./cli.ts";
import { haveShared, sharedPath } from "./shared.ts";

const shared = { ignore: !haveShared };
const wolfi = (f: string) => sharedPath("fixtures", "wolfi", f);

async function generated(file: string, explicitRuntime: string[] = []) {
  const apk = await readApk(readFileSync(wolfi(file)), new Map(), {
    allowUntrusted: true,
    skipDatahash: true,
    source: file,
  });
  const tree = await treeOfData(apk.data);
  return analyze({ name: apk.info.pkgname, version: apk.info.pkgver, tree, explicitRuntime });
}

const MELANGE: Record<string, { runtime: string[]; provides: string[]; vendored?: string[] }> = {
  "libcap-2.69-r0.apk": {
    runtime: ["so:ld-linux-aarch64.so.1", "so:libc.so.6", "so:libcap.so.2", "so:libpsx.so.2"],
    provides: [
      "so-ver:libcap.so.2=2.69-r0",
      "so-ver:libpsx.so.2=2.69-r0",
      "so:libcap.so.2=2",
      "so:libpsx.so.2=2",
    ],
  },
  "neon-4604-r0.apk": {
    runtime: [
      "so:ld-linux-aarch64.so.1",
      "so:libc.so.6",
      "so:libecpg.so.6",
      "so:libpgtypes.so.3",
      "so:libpq.so.5",
    ],
    provides: [],
    vendored: [
      "pc:libecpg=4604-r0",
      "pc:libecpg_compat=4604-r0",
      "pc:libpgtypes=4604-r0",
      "pc:libpq=4604-r0",
      "so-ver:libecpg_compat.so.3=4604-r0",
      "so:libecpg_compat.so.3=3",
    ],
  },
  "aws-c-s3-0.4.9-r0.apk": {
    runtime: [
      "so:ld-linux-aarch64.so.1",
      "so:libaws-c-auth.so.1.0.0",
      "so:libaws-c-cal.so.1.0.0",
      "so:libaws-c-common.so.1",
      "so:libaws-c-http.so.1.0.0",
      "so:libaws-c-io.so.1.0.0",
      "so:libaws-c-s3.so.0unstable",
      "so:libaws-checksums.so.1.0.0",
      "so:libc.so.6",
    ],
    provides: ["so-ver:libaws-c-s3.so.0unstable=0.4.9-r0", "so:libaws-c-s3.so.0unstable=0"],
  },
  "ruby3.2-base64-0.2.0-r2.apk": { runtime: ["ruby-3.2"], provides: [] },
};

Deno.test({
  name: "scan: the analysis finds what melange's finds for the same files",
  ...shared,
  fn: async () => {
    for (const [file, want] of Object.entries(MELANGE)) {
      const got = await generated(file);
      assertEquals(got.runtime, want.runtime, `${file} runtime`);
      assertEquals(got.provides, want.provides, `${file} provides`);
      if (want.vendored) assertEquals(got.vendored, want.vendored, `${file} vendored`);
    }
    // shbang-test was built with no-provides: the commands are found, then dropped.
    const sh = await generated("shbang-test-1-r1.apk");
    assertEquals(sh.runtime, [
      "cmd:bash",
      "cmd:envDashSCmd",
      "cmd:python3.12",
      "so:ld-linux-x86-64.so.2",
      "so:libc.so.6",
    ]);
  },
});

Deno.test({
  name: "scan: on whole packages, the so:/cmd:/pc: lines equal the ones melange recorded",
  ...shared,
  fn: async () => {
    const cases: [string, { noProvides?: boolean }][] = [
      ["hello-wolfi-2.12.1-r1.apk", {}],
      ["shbang-test-1-r1.apk", { noProvides: true }],
      ["ruby3.2-base64-0.2.0-r2.apk", {}],
      ["ld-so-conf-d-test-1-r1.apk", {}],
    ];
    const analyzed = (l: string[]) => l.filter((d) => /^(so|cmd|pc):/.test(d));
    for (const [file, options] of cases) {
      const r = await scanApk(readFileSync(wolfi(file)), { source: file, options });
      assertEquals(analyzed(r.found.runtime), analyzed(r.info.depend), `${file} depend`);
      assertEquals(analyzed(r.found.provides), analyzed(r.info.provides), `${file} provides`);
    }
  },
});

Deno.test({
  name: "scan: the command marks what differs from .PKGINFO",
  ...shared,
  fn: async () => {
    const same = await runCli(["scan", wolfi("hello-wolfi-2.12.1-r1.apk")]);
    assertEquals(same.code, 0, same.stderr);
    assertEquals(
      same.stdout,
      "hello-wolfi-2.12.1-r1\n= depend   so:ld-linux-aarch64.so.1\n= depend   so:libc.so.6\n= provides cmd:hello=2.12.1-r1\n",
    );
    const diff = await runCli(["scan", wolfi("libcap-2.69-r0.apk")]);
    assertStringIncludes(diff.stdout, "+ provides so:libcap.so.2=2  (found, not in .PKGINFO)");
    assertStringIncludes(diff.stdout, "- depend   so:libcap.so.2  (in .PKGINFO, not found)");
    const trimmed = await runCli(["scan", wolfi("neon-4604-r0.apk")]);
    assertStringIncludes(trimmed.stderr, "does not match the datahash");
  },
});
