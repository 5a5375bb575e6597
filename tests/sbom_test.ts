/**
 * The SBOM in every package is SPDX 2.3 that SPDX tools accept: the SPDX
 * project's Go library with the specification's mandatory fields
 * (scripts/spdxcheck) and its Python tools (pyspdxtools) validate the
 * documents of packages we write and of packages built on the real
 * buildkitd. Both refuse the SBOMs melange itself wrote into the Wolfi
 * fixtures (so they can fail).
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { createHash } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readApk, walkData } from "../lib/apk/archive.ts";
import { writePackage } from "../lib/apk/package.ts";
import { withTempDir } from "./support/tmp.ts";
import { ADDR, haveDaemon } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { haveShared, sharedPath } from "./shared.ts";

const TOOLS = Deno.env.get("MELANGE2_TOOLS") ?? "/opt/melange2";
const SPDXCHECK = Deno.env.get("MELANGE2_SPDXCHECK") ?? `${TOOLS}/spdxcheck/spdxcheck`;
const PYSPDX = Deno.env.get("MELANGE2_PYSPDXTOOLS") ?? `${TOOLS}/spdx-tools/bin/pyspdxtools`;
const haveTools = existsSync(SPDXCHECK) && existsSync(PYSPDX);
if (!haveTools) {
  console.log(
    `sbom_test: skipped, ${SPDXCHECK} or ${PYSPDX} missing (scripts/setup.sh makes them)`,
  );
}
const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";

/** What both validators say of a document: ok, and their complaints. */
async function validate(file: string): Promise<{ ok: boolean; problems: string }> {
  const run = async (cmd: string, args: string[]) => {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    // pyspdxtools exits 0 whatever it finds; it says so on stderr.
    return { ok: out.success && !/ERROR|invalid|issues/i.test(text), text };
  };
  const go = await run(SPDXCHECK, [file]);
  const py = await run(PYSPDX, ["-i", file]);
  return { ok: go.ok && py.ok, problems: `spdxcheck: ${go.text}\npyspdxtools: ${py.text}` };
}

/** The SBOM documents inside an .apk, by path. */
async function sboms(apk: Uint8Array): Promise<Map<string, string>> {
  const pkg = await readApk(apk, new Map(), { allowUntrusted: true, source: "sbom" });
  const out = new Map<string, string>();
  await walkData(pkg.data, (h, content) => {
    if (h.name.endsWith(".spdx.json")) out.set(h.name, new TextDecoder().decode(content));
  });
  return out;
}

Deno.test({
  name: "sbom: the validators refuse melange's own SBOMs (SPDXRef-DOCUMENT-apk-..., absolute " +
    "file names)",
  ignore: !haveTools || !haveShared,
  fn: () =>
    withTempDir(async (dir) => {
      const apk = Deno.readFileSync(sharedPath("fixtures/wolfi/libcap-2.69-r0.apk"));
      const [[, doc]] = [...await sboms(apk)];
      writeFileSync(join(dir, "libcap.spdx.json"), doc);
      const res = await validate(join(dir, "libcap.spdx.json"));
      assert(!res.ok, res.problems);
      assertStringIncludes(res.problems, "not SPDXRef-DOCUMENT");
      assertStringIncludes(res.problems, "spdx_id must be SPDXRef-DOCUMENT");
      assertStringIncludes(res.problems, "file name must not be an absolute path");
    }),
});

Deno.test({
  name: "sbom: a package's document is valid SPDX 2.3 (names that read alike, spaces, " +
    "non-ASCII, hardlinks, a license that is not SPDX), its verification code recomputed",
  ignore: !haveTools,
  fn: () =>
    withTempDir(async (dir) => {
      const tree = join(dir, "tree");
      mkdirSync(join(tree, "usr/share/odd"), { recursive: true });
      const files: Record<string, string> = {
        "usr/share/odd/a_b": "underscore\n",
        "usr/share/odd/a-b": "dash\n",
        "usr/share/odd/with space": "space\n",
        "usr/share/odd/caf\u00e9": "accent\n",
        "usr/share/odd/empty": "",
      };
      for (const [p, text] of Object.entries(files)) writeFileSync(join(tree, p), text);
      linkSync(join(tree, "usr/share/odd/a_b"), join(tree, "usr/share/odd/hard"));
      const written = await writePackage(tree, {
        name: "odd",
        version: "1.0-r0",
        epoch: 0,
        arch: ARCH,
        licenses: ["MIT", "Custom License_v2", "GPL-2.0-or-later WITH Classpath-exception-2.0"],
        namespace: "wolfi",
      }, { sourceDateEpoch: 1_700_000_000 });
      const docs = await sboms(written.bytes);
      assertEquals([...docs.keys()], ["var/lib/db/sbom/odd-1.0-r0.spdx.json"]);
      const text = docs.get("var/lib/db/sbom/odd-1.0-r0.spdx.json")!;
      writeFileSync(join(dir, "odd.spdx.json"), text);
      const res = await validate(join(dir, "odd.spdx.json"));
      assert(res.ok, res.problems);

      const doc = JSON.parse(text);
      assertEquals(doc.SPDXID, "SPDXRef-DOCUMENT");
      assertEquals(doc.creationInfo.created, "2023-11-14T22:13:20Z");
      const names = doc.files.map((f: { fileName: string }) => f.fileName);
      assertEquals(names, Object.keys(files).sort().map((p) => `./${p}`));
      const ids = new Set(doc.files.map((f: { SPDXID: string }) => f.SPDXID));
      assertEquals(ids.size, names.length, "one identifier per file");
      assertEquals(
        doc.packages[0].licenseDeclared,
        "MIT AND LicenseRef-Custom-License-v2 AND GPL-2.0-or-later WITH Classpath-exception-2.0",
      );
      assertEquals(doc.hasExtractedLicensingInfos.map((l: { licenseId: string }) => l.licenseId), [
        "LicenseRef-Custom-License-v2",
      ]);
      // SPDX 2.3 7.9: SHA-1 of the sorted SHA-1s of the files, concatenated.
      const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");
      const code = sha1(Object.values(files).map(sha1).sort().join(""));
      assertEquals(doc.packages[0].packageVerificationCode.packageVerificationCodeValue, code);
      // .PKGINFO keeps melange's one line per license, as written.
      assertEquals(written.pkginfo.licenses, [
        "MIT",
        "Custom License_v2",
        "GPL-2.0-or-later WITH Classpath-exception-2.0",
      ]);
    }),
});

Deno.test({
  name:
    "sbom: the packages built on the real buildkitd carry valid SPDX 2.3 (main and subpackage; " +
    "an SPDX expression with spaces, a license that is not SPDX)",
  ignore: !haveTools || !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      // This machine's architecture is all the build needs of the local repository.
      const { ensureLocalRepo } = await import("../scripts/local_repo.ts");
      const localRepo = await ensureLocalRepo(undefined, () => {}, [ARCH]);
      writeFileSync(
        join(dir, "sbom.yaml"),
        `
package:
  name: sbom-built
  version: 2.1.0
  epoch: 3
  description: a package whose SBOM SPDX tools read
  copyright:
    - license: Apache-2.0
    - license: GPL-2.0-only WITH Classpath-exception-2.0
    - license: Vendor_EULA
environment:
  contents:
    repositories:
      - ${localRepo.repository}
    keyring:
      - ${localRepo.publicKey}
    packages:
      - busybox
pipeline:
  - runs: |
      mkdir -p "\${{targets.destdir}}/usr/bin" "\${{targets.destdir}}/usr/share/sbom_built"
      printf '#!/bin/sh\\necho hi\\n' > "\${{targets.destdir}}/usr/bin/sbom-built"
      chmod 755 "\${{targets.destdir}}/usr/bin/sbom-built"
      echo data > "\${{targets.destdir}}/usr/share/sbom_built/data file"
      ln -s sbom-built "\${{targets.destdir}}/usr/bin/alias"
subpackages:
  - name: sbom-built-doc
    pipeline:
      - runs: |
          mkdir -p "\${{targets.subpkgdir}}/usr/share/doc"
          echo doc > "\${{targets.subpkgdir}}/usr/share/doc/sbom_built"
`,
      );
      const res = await runCli([
        "build",
        "sbom.yaml",
        "--buildkit-addr",
        ADDR,
        "--arch",
        ARCH,
        "--namespace",
        "wolfi",
        "--out-dir",
        "out",
        "--progress",
        "plain",
      ], { cwd: dir, env: { SOURCE_DATE_EPOCH: "1700000000" } });
      assertEquals(res.code, 0, res.stderr);
      const apks = readdirSync(join(dir, "out", ARCH)).filter((f) => f.endsWith(".apk")).sort();
      assertEquals(apks, ["sbom-built-2.1.0-r3.apk", "sbom-built-doc-2.1.0-r3.apk"]);
      for (const apk of apks) {
        const bytes = Deno.readFileSync(join(dir, "out", ARCH, apk));
        const { info } = await readApk(bytes, new Map(), { allowUntrusted: true, source: apk });
        // .PKGINFO: a license line per copyright entry, as written (spaces and all).
        assertEquals(info.licenses, [
          "Apache-2.0",
          "GPL-2.0-only WITH Classpath-exception-2.0",
          "Vendor_EULA",
        ]);
        const docs = await sboms(bytes);
        assertEquals(docs.size, 1, apk);
        const [[path, text]] = [...docs];
        const file = join(dir, apk.replace(/\.apk$/, ".spdx.json"));
        writeFileSync(file, text);
        const v = await validate(file);
        assert(v.ok, `${apk} ${path}: ${v.problems}`);
        const doc = JSON.parse(text);
        assertStringIncludes(
          doc.packages[0].externalRefs[0].referenceLocator,
          `pkg:apk/wolfi/${apk.replace(/-2\.1\.0-r3\.apk$/, "")}@2.1.0-r3?arch=${ARCH}`,
        );
        assertEquals(
          doc.packages[0].licenseDeclared,
          "Apache-2.0 AND GPL-2.0-only WITH Classpath-exception-2.0 AND LicenseRef-Vendor-EULA",
        );
      }
    }),
});
