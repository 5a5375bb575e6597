/**
 * What melange's record-keeping build flags write, on the real buildkitd:
 * --dependency-log, --git-repo-url / --license / --git-commit (the SBOM's
 * build file package), --generate-provenance, --trace, --build-option.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createHash, createPublicKey, verify } from "node:crypto";
import { readApk, walkData } from "../lib/apk/archive.ts";
import { gzipMembers } from "../lib/apk/gzip.ts";
import { readTar } from "../lib/apk/tar.ts";
import { configPurl } from "../lib/apk/sbom.ts";
import { provenanceStatement } from "../lib/build/provenance.ts";
import { Tracer } from "../lib/build/trace.ts";

const { localRepo, makeKey } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };
const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";

Deno.test("sbom: the build file's purl is melange's pkg:github form", () => {
  const ref = {
    path: "./os/crane.yaml",
    commit: "abc123",
    repositoryUrl: "https://github.com/Wolfi-Dev/OS",
    license: "Apache-2.0",
  };
  assertEquals(configPurl(ref), "pkg:github/wolfi-dev/os@abc123#os/crane.yaml");
  assertEquals(
    configPurl({ ...ref, repositoryUrl: "https://unknown/unknown/unknown", path: "x.yaml" }),
    "pkg:github/unknown/unknown@abc123#x.yaml",
  );
});

Deno.test("provenance: an in-toto statement with melange's keys and SLSA v1 predicate", () => {
  const doc = JSON.parse(provenanceStatement({
    identity: "hello-1.0-r2",
    dataHash: "ab".repeat(32),
    configuration: { package: { name: "hello" } },
    started: new Date(0),
    finished: new Date(1000),
    builderVersion: "9.9.9",
  }));
  assertEquals(doc.type, "https://in-toto.io/Statement/v1");
  assertEquals(doc.predicate_type, "https://slsa.dev/provenance/v1");
  assertEquals(doc.subject, [{ name: "hello-1.0-r2.apk", digest: { sha256: "ab".repeat(32) } }]);
  assertEquals(
    doc.predicate.buildDefinition.buildType,
    "https://chainguard.dev/buildtypes/melange/v1",
  );
  assertEquals(doc.predicate.buildDefinition.externalParameters["package-configuration"], {
    package: { name: "hello" },
  });
  assertEquals(doc.predicate.runDetails.metadata, {
    startedOn: "1970-01-01T00:00:00.000Z",
    finishedOn: "1970-01-01T00:00:01.000Z",
  });
});

Deno.test("trace: spans in stdouttrace's form, children first, linked to their parents", async () => {
  const tracer = new Tracer();
  const root = tracer.root("build");
  await root.run("BuildCmd", (cmd) => cmd.run("BuildPackage", (s) => s.set("arch", "x86_64")));
  await root.run("fails", () => Promise.reject(new Error("boom"))).catch(() => {});
  root.end();
  const spans = tracer.lines().trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(spans.map((s) => s.Name), ["BuildPackage", "BuildCmd", "fails", "build"]);
  const [pkg, cmd, fails, build] = spans;
  assertEquals(pkg.Parent.SpanID, cmd.SpanContext.SpanID);
  assertEquals(cmd.Parent.SpanID, build.SpanContext.SpanID);
  assertEquals(build.Parent.SpanID, "0000000000000000");
  assertEquals(new Set(spans.map((s) => s.SpanContext.TraceID)).size, 1);
  assertEquals(pkg.Attributes, [{ Key: "arch", Value: { Type: "STRING", Value: "x86_64" } }]);
  assertEquals(fails.Status, { Code: "Error", Description: "boom" });
  assertEquals(build.ChildSpanCount, 2);
  assert(Date.parse(build.EndTime) >= Date.parse(build.StartTime));
});

const FILE = (repo: { repository: string; publicKey: string }) => `
package:
  name: rec
  version: 1.0.0
  epoch: 0
  description: what the build records
  copyright:
    - license: MIT
environment:
  contents:
    repositories: [${repo.repository}]
    keyring: [${repo.publicKey}]
    packages: [busybox]
options:
  loud:
    vars:
      greeting: LOUD
    environment:
      contents:
        packages:
          add: [ca-certificates-bundle]
pipeline:
  - runs: |
      mkdir -p "\${{targets.destdir}}/usr/bin" "\${{targets.destdir}}/usr/share"
      printf '#!/bin/sh\\necho hi\\n' > "\${{targets.destdir}}/usr/bin/rec"
      chmod 0755 "\${{targets.destdir}}/usr/bin/rec"
      echo "\${{options.loud.enabled}} \${{vars.greeting}}" > "\${{targets.destdir}}/usr/share/opt"
      ls /etc/ssl/certs | head -1 > "\${{targets.destdir}}/usr/share/certs"
`;

async function packageFiles(file: string) {
  const apk = await readApk(readFileSync(file), new Map(), { allowUntrusted: true, source: file });
  const files = new Map<string, string>();
  await walkData(apk.data, (h, c) => void files.set(h.name, new TextDecoder().decode(c)));
  return { apk, files };
}

Deno.test({
  name: "build: --dependency-log, --git-repo-url, --license, --generate-provenance, --trace " +
    "and --build-option write what melange writes",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      writeFileSync(`${dir}/rec.yaml`, FILE(localRepo));
      const key = await makeKey(dir);
      const res = await runCli([
        "build",
        "rec.yaml",
        "--arch",
        "host",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "plain",
        "--signing-key",
        key,
        "--namespace",
        "wolfi",
        "--git-commit",
        "feedface",
        "--git-repo-url",
        "https://github.com/wolfi-dev/os",
        "--license",
        "Apache-2.0",
        "--dependency-log",
        "deps",
        "--generate-provenance",
        "--trace",
        "trace.json",
        "--build-option",
        "loud",
      ], { cwd: dir, env: { SOURCE_DATE_EPOCH: "1700000000" } });
      assertEquals(res.code, 0, res.stderr);
      const out = `${dir}/packages/${ARCH}`;
      const { apk, files } = await packageFiles(`${out}/rec-1.0.0-r0.apk`);

      // --build-option: options.loud.enabled, its vars and its packages.
      assertEquals(files.get("usr/share/opt"), "true LOUD\n");
      assert(files.get("usr/share/certs")!.trim() !== "", "ca-certificates-bundle was added");

      // The SBOM names the build file as melange does: path, commit, license, purl.
      const sbom = JSON.parse(files.get("var/lib/db/sbom/rec-1.0.0-r0.spdx.json")!);
      const cfg = sbom.packages.find((p: any) => p.name === "rec.yaml");
      assertEquals(cfg.versionInfo, "feedface");
      assertEquals(cfg.licenseDeclared, "Apache-2.0");
      assertEquals(cfg.originator, "Organization: Wolfi");
      assertEquals(cfg.primaryPackagePurpose, "INSTALL");
      assertEquals(
        cfg.externalRefs[0].referenceLocator,
        "pkg:github/wolfi-dev/os@feedface#rec.yaml",
      );
      assert(
        sbom.relationships.some((r: any) =>
          r.relationshipType === "DESCRIBED_BY" && r.relatedSpdxElement === cfg.SPDXID
        ),
        "the package is described by the build file",
      );

      // --dependency-log: <file>.<arch>, the analysis's JSON, empty lists left out (Go's
      // omitempty): the program in usr/bin is provided as a command.
      assertEquals(
        readFileSync(`${dir}/deps.${ARCH}`, "utf8"),
        '{"provides":["cmd:rec=1.0.0-r0"]}\n',
      );

      // --generate-provenance: a signed tar.gz beside the APK whose subject is its data hash.
      const attest = readFileSync(`${out}/rec-1.0.0-r0.attest.tar.gz`);
      const [sig, body] = gzipMembers(attest);
      const [sigEntry] = await readTar(sig.data);
      assertEquals(sigEntry.header.name, ".SIGN.RSA256.test.rsa.pub");
      const pub = createPublicKey(readFileSync(`${key}.pub`));
      assert(verify("sha256", body.raw, pub, sigEntry.data), "the signature verifies");
      const [entry] = await readTar(body.data);
      assertEquals(entry.header.name, "rec-1.0.0-r0.attestation");
      assertEquals(entry.header.mtime, 1700000000);
      const statement = JSON.parse(new TextDecoder().decode(entry.data));
      assertEquals(statement.subject[0].name, "rec-1.0.0-r0.apk");
      assertEquals(statement.subject[0].digest.sha256, apk.info.datahash);
      assertEquals(
        statement.predicate.buildDefinition.externalParameters["package-configuration"].package
          .name,
        "rec",
      );
      assertEquals(
        createHash("sha256").update(apk.data).digest("hex"),
        apk.info.datahash,
        "datahash is the data part's",
      );

      // --trace: the build's spans, one JSON object a line, one trace.
      const spans = readFileSync(`${dir}/trace.json`, "utf8").trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      const names = spans.map((s) => s.Name);
      for (const n of ["build", "BuildCmd", "BuildPackage", "buildGuest", "solve", "emit"]) {
        assert(names.includes(n), `span ${n} in ${names.join(" ")}`);
      }
      assertEquals(names.at(-1), "build", "the root span ends last");
      assertEquals(new Set(spans.map((s) => s.SpanContext.TraceID)).size, 1);
    }),
});

Deno.test({
  name: "build: an unwritable --trace fails before the build, as melange's",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      writeFileSync(`${dir}/rec.yaml`, FILE(localRepo));
      const res = await runCli(
        ["build", "rec.yaml", "--arch", "host", "--trace", `${dir}/no/such/dir/t.json`],
        { cwd: dir },
      );
      assertEquals(res.code, 1);
      assertStringIncludes(res.stderr, `error: --trace ${dir}/no/such/dir/t.json: `);
      assert(!existsSync(`${dir}/packages`), "nothing built");
    }),
});
