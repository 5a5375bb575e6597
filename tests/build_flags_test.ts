/**
 * melange's `build` and `test` flags on the real buildkitd: what each one
 * changes in the packages, the out directory and the build's environment.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { repoPath } from "./shared.ts";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { type ApkFile, readApk, walkData } from "../lib/apk/archive.ts";

const { localRepo } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const needs = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };
const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";

const buildFile = (repo: { repository: string; publicKey: string }) => `
package:
  name: flags
  version: 1.0.0
  epoch: 0
  description: exercises melange's build flags
  copyright:
    - license: MIT
environment:
  contents:
    repositories:
      - ${repo.repository}
    keyring:
      - ${repo.publicKey}
    packages:
      - busybox
  environment:
    FROM_YAML: yaml
pipeline:
  - name: record what the build saw
    runs: |
      mkdir -p "\${{targets.destdir}}/usr/share/flags"
      echo "$FROM_YAML $A $B" > "\${{targets.destdir}}/usr/share/flags/env"
      cp /var/cache/melange/seed "\${{targets.destdir}}/usr/share/flags/seed"
      ls /etc/ssl/certs > "\${{targets.destdir}}/usr/share/flags/certs"
subpackages:
  - name: flags-doc
    pipeline:
      - runs: |
          mkdir -p "\${{targets.subpkgdir}}/usr/share/doc"
          echo doc > "\${{targets.subpkgdir}}/usr/share/doc/flags"
`;

async function readPackage(file: string): Promise<{ apk: ApkFile; files: Map<string, string> }> {
  const apk = await readApk(readFileSync(file), new Map(), { allowUntrusted: true, source: file });
  const files = new Map<string, string>();
  await walkData(apk.data, (h, content) => {
    files.set(h.name, new TextDecoder().decode(content));
  });
  return { apk, files };
}

Deno.test({
  name: "build: melange's defaults (melange.yaml, melange.rsa, ./melange-cache/) and its flags " +
    "(--env-file x2, --package-append, --build-date, --namespace, --git-commit, " +
    "--strip-origin-name, --create-build-log, --generate-index=false)",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      writeFileSync(`${dir}/melange.yaml`, buildFile(localRepo));
      mkdirSync(`${dir}/melange-cache`);
      writeFileSync(`${dir}/melange-cache/seed`, "from the cache dir\n");
      writeFileSync(`${dir}/a.env`, "A=first\nB=fromA\nFROM_YAML=notyaml\n");
      writeFileSync(`${dir}/b.env`, "B=fromB\n");
      const key = await runCli(["keygen", "--key-size", "2048"], { cwd: dir });
      assertEquals(key.code, 0, key.stderr);

      const res = await runCli([
        "build",
        "--arch",
        "host",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "plain",
        "--env-file",
        "a.env",
        "--env-file",
        "b.env",
        "--package-append",
        "ca-certificates-bundle",
        "--build-date",
        "2024-01-31T12:00:00Z",
        "--namespace",
        "wolfi",
        "--cache-namespace",
        "flags-test",
        "--git-commit",
        "0123abcd",
        "--strip-origin-name",
        "--create-build-log",
        "--generate-index=false",
      ], { cwd: dir, env: { SOURCE_DATE_EPOCH: "" } });
      assertEquals(res.code, 0, res.stderr);

      const out = `${dir}/packages/${ARCH}`;
      // --generate-index=false: packages, no index.
      assertEquals(readdirSync(out).sort(), ["flags-1.0.0-r0.apk", "flags-doc-1.0.0-r0.apk"]);
      const main = await readPackage(`${out}/flags-1.0.0-r0.apk`);
      const doc = await readPackage(`${out}/flags-doc-1.0.0-r0.apk`);
      // melange.rsa beside the build file signs by default.
      assertEquals(main.apk.signatures.map((s) => s.keyName), ["melange.rsa.pub"]);
      // The build file's own value wins, then the first env file that sets a key.
      assertEquals(main.files.get("usr/share/flags/env"), "yaml first fromA\n");
      // ./melange-cache/ is mounted at /var/cache/melange.
      assertEquals(main.files.get("usr/share/flags/seed"), "from the cache dir\n");
      // --package-append installed the certificates into the build environment.
      assert(main.files.get("usr/share/flags/certs")!.trim().length > 0, "certificates");
      assertEquals(main.apk.info.builddate, Date.UTC(2024, 0, 31, 12) / 1000);
      assertEquals(main.apk.info.commit, "0123abcd");
      assertEquals(main.apk.info.origin, "flags");
      assertEquals(doc.apk.info.origin, "flags-doc", "--strip-origin-name: its own origin");
      const sbom = [...main.files].find(([name]) => name.endsWith(".spdx.json"))![1];
      assertStringIncludes(sbom, `pkg:apk/wolfi/flags@1.0.0-r0?arch=${ARCH}`);
      assertEquals(
        readFileSync(`${dir}/packages.log`, "utf8"),
        `${ARCH}|flags|flags|1.0.0-r0\n${ARCH}|flags-doc|flags-doc|1.0.0-r0\n`,
      );
    }),
});

Deno.test({
  name: "build: $SOURCE_DATE_EPOCH wins over --build-date; --workspace-dir; " +
    "--empty-workspace copies nothing in",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      writeFileSync(
        `${dir}/ws.yaml`,
        `
package:
  name: ws
  version: 1.0.0
  epoch: 0
  description: lists its workspace
environment:
  contents:
    repositories: [${localRepo.repository}]
    keyring: [${localRepo.publicKey}]
    packages: [busybox]
pipeline:
  - runs: |
      mkdir -p "\${{targets.destdir}}/usr/share"
      if [ -e /home/build/source.txt ]; then s=copied; else s=absent; fi
      echo "$s" > "\${{targets.destdir}}/usr/share/ws"
`,
      );
      // As melange: the build file's directory is the workspace's source.
      writeFileSync(`${dir}/source.txt`, "x");
      const build = (extra: string[], env: Record<string, string>) =>
        runCli([
          "build",
          "ws.yaml",
          "--buildkit-addr",
          ADDR,
          "--progress",
          "plain",
          "--build-date",
          "2024-01-31T12:00:00Z",
          ...extra,
        ], { cwd: dir, env });
      const full = await build(["--workspace-dir", "wsdir"], { SOURCE_DATE_EPOCH: "86400" });
      assertEquals(full.code, 0, full.stderr);
      // --workspace-dir: the workspace as the build left it, sources and melange-out.
      assertEquals(readFileSync(`${dir}/wsdir/${ARCH}/source.txt`, "utf8"), "x");
      assertEquals(
        readFileSync(`${dir}/wsdir/${ARCH}/melange-out/ws/usr/share/ws`, "utf8"),
        "copied\n",
      );
      let pkg = await readPackage(`${dir}/packages/${ARCH}/ws-1.0.0-r0.apk`);
      assertEquals(pkg.apk.info.builddate, 86400);
      assertEquals(pkg.files.get("usr/share/ws"), "copied\n");
      assert(existsSync(`${dir}/packages/${ARCH}/APKINDEX.tar.gz`), "an index by default");

      const empty = await build(["--empty-workspace"], { SOURCE_DATE_EPOCH: "86400" });
      assertEquals(empty.code, 0, empty.stderr);
      pkg = await readPackage(`${dir}/packages/${ARCH}/ws-1.0.0-r0.apk`);
      assertEquals(pkg.files.get("usr/share/ws"), "absent\n");
    }),
});

/** Serves `dir` over HTTP, answering 401 unless the request carries `user:pass` basic auth. */
function serveWithAuth(dir: string, user: string, pass: string) {
  const expected = `Basic ${btoa(`${user}:${pass}`)}`;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (req.headers.get("authorization") !== expected) {
      return new Response("who are you?", { status: 401 });
    }
    try {
      return new Response(await Deno.readFile(dir + new URL(req.url).pathname));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { host: `127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test({
  name: "build and test: HTTP_AUTH, --apk-cache-dir, --ignore-signatures, --test-package-append",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const server = serveWithAuth(localRepo.repository, "melange", "s3:cret");
      try {
        const file = (keyring: boolean) => `
package:
  name: authed
  version: 1.0.0
  epoch: 0
  description: built from a password-protected repository
environment:
  contents:
    repositories: [http://${server.host}]
    keyring: [${keyring ? localRepo.publicKey : ""}]
    packages: [busybox]
pipeline:
  - runs: |
      mkdir -p "\${{targets.destdir}}/usr/share"
      echo ok > "\${{targets.destdir}}/usr/share/authed"
test:
  environment:
    contents:
      packages: [busybox]
  pipeline:
    - runs: ls /etc/ssl/certs | grep -q .
`;
        writeFileSync(`${dir}/authed.yaml`, file(true));
        writeFileSync(`${dir}/unkeyed.yaml`, file(false));
        const common = [
          ...["--arch", "host", "--buildkit-addr", ADDR],
          ...["--progress", "plain", "--out-dir", `${dir}/p`],
        ];
        // The password keeps its colon, as Go's SplitN(auth, ":", 4) leaves it.
        const auth = { HTTP_AUTH: "basic:127.0.0.1:melange:s3:cret" };

        const denied = await runCli(["build", `${dir}/authed.yaml`, ...common]);
        assertEquals(denied.code, 1);
        assertStringIncludes(denied.stderr, "401");

        const malformed = await runCli(["build", `${dir}/authed.yaml`, ...common], {
          env: { HTTP_AUTH: "melange:s3cret" },
        });
        assertEquals(
          malformed.stderr,
          "error: HTTP_AUTH must be in the form 'basic:REALM:USERNAME:PASSWORD' (got 2 parts)\n",
        );

        const built = await runCli([
          "build",
          `${dir}/authed.yaml`,
          "--apk-cache-dir",
          `${dir}/apk-cache`,
          ...common,
        ], { env: auth });
        assertEquals(built.code, 0, built.stderr);
        assert(existsSync(`${dir}/p/${ARCH}/authed-1.0.0-r0.apk`));
        const cached = readdirSync(`${dir}/apk-cache`, { recursive: true }).map(String);
        assert(cached.some((n) => n.includes("busybox")), `cached: ${cached.join(" ")}`);

        // No key for the repository: refused, unless signatures are ignored.
        const untrusted = await runCli(["build", `${dir}/unkeyed.yaml`, ...common], { env: auth });
        assertEquals(untrusted.code, 1);
        const ignored = await runCli(
          ["build", `${dir}/unkeyed.yaml`, "--ignore-signatures", ...common],
          { env: auth },
        );
        assertEquals(ignored.code, 0, ignored.stderr);

        // The test needs the certificates, which only --test-package-append brings.
        const bare = await runCli(["test", `${dir}/authed.yaml`, ...common], { env: auth });
        assertEquals(bare.code, 1, bare.stderr);
        assertStringIncludes(
          bare.stderr,
          'step "ls /etc/ssl/certs | grep -q ." failed: exit code: 1',
        );
        const tested = await runCli([
          "test",
          `${dir}/authed.yaml`,
          "--test-package-append",
          "ca-certificates-bundle",
          "--ignore-signatures",
          ...common,
        ], { env: auth });
        assertEquals(tested.code, 0, tested.stderr);
      } finally {
        await server.close();
      }
    }),
});

Deno.test({
  name: "build: a required linter fails the build before anything is written; " +
    "checks.disabled and --lint-warn make it a warning; --persist-lint-results keeps the findings",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      const file = (checks: string) => `
package:
  name: loose
  version: 1.0.0
  epoch: 0
  description: leaves a world-writable file
${checks}
environment:
  contents:
    repositories: [${localRepo.repository}]
    keyring: [${localRepo.publicKey}]
    packages: [busybox]
pipeline:
  - runs: |
      mkdir -p "\${{targets.destdir}}/usr/share/loose" "\${{targets.destdir}}/srv"
      echo x > "\${{targets.destdir}}/usr/share/loose/open"
      chmod 0666 "\${{targets.destdir}}/usr/share/loose/open"
      echo x > "\${{targets.destdir}}/srv/data"
`;
      writeFileSync(`${dir}/strict.yaml`, file(""));
      writeFileSync(`${dir}/relaxed.yaml`, file("  checks:\n    disabled: [worldwrite]"));
      const common = ["--buildkit-addr", ADDR, "--progress", "plain", "--out-dir", `${dir}/p`];

      const failed = await runCli(["build", `${dir}/strict.yaml`, ...common]);
      assertEquals(failed.code, 1, failed.stderr);
      assertStringIncludes(failed.stderr, "[worldwrite] loose contains 1 world-writeable file\n");
      assertStringIncludes(
        failed.stderr,
        "    - usr/share/loose/open (mode: 666) [world-writable]",
      );
      assertStringIncludes(failed.stderr, "[srv] loose writes to /srv (warning)");
      assertStringIncludes(
        failed.stderr,
        "error: linting loose-1.0.0-r0: required linter failed: worldwrite",
      );
      assert(!existsSync(`${dir}/p/${ARCH}/loose-1.0.0-r0.apk`), "no package written");

      const relaxed = await runCli([
        "build",
        `${dir}/relaxed.yaml`,
        "--persist-lint-results",
        ...common,
      ]);
      assertEquals(relaxed.code, 0, relaxed.stderr);
      assertStringIncludes(relaxed.stderr, "world-writeable file (warning)");
      const saved = JSON.parse(
        readFileSync(`${dir}/p/${ARCH}/lint-loose-1.0.0-r0.json`, "utf8"),
      );
      assertEquals(Object.keys(saved.findings).sort(), ["srv", "worldwrite"]);

      // --log-level is the program's (before or after the command): error hides warnings.
      for (const args of [["--log-level", "error", "build"], ["build", "--log-level", "error"]]) {
        const quiet = await runCli([...args, `${dir}/relaxed.yaml`, ...common]);
        assertEquals(quiet.code, 0, quiet.stderr);
        assert(!quiet.stderr.includes("[worldwrite]"), quiet.stderr);
      }

      const flags = await runCli([
        "build",
        `${dir}/strict.yaml`,
        "--lint-require",
        "dev",
        "--lint-warn",
        "worldwrite",
        ...common,
      ]);
      assertEquals(flags.code, 0, flags.stderr);
      assert(!flags.stderr.includes("[srv]"), "srv is in neither list");
    }),
});

Deno.test({
  name: "build: the source directory's .melangeignore keeps files out of the workspace",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      writeFileSync(
        `${dir}/ig.yaml`,
        `
package:
  name: ig
  version: 1.0.0
  epoch: 0
  description: lists its workspace
environment:
  contents:
    repositories: [${localRepo.repository}]
    keyring: [${localRepo.publicKey}]
    packages: [busybox]
pipeline:
  - runs: |
      mkdir -p "\${{targets.destdir}}/usr/share"
      for f in .melangeignore main.c debug.log sub/trace.log sub/keep.c build/out.o; do
        if [ -e "$f" ]; then echo "$f"; fi
      done > "\${{targets.destdir}}/usr/share/files"
`,
      );
      // The build file's directory is the source, as melange's.
      mkdirSync(`${dir}/sub`, { recursive: true });
      mkdirSync(`${dir}/build`, { recursive: true });
      for (const f of ["main.c", "debug.log", "sub/trace.log", "sub/keep.c", "build/out.o"]) {
        writeFileSync(`${dir}/${f}`, f);
      }
      writeFileSync(`${dir}/.melangeignore`, "*.log\n/build/\n");
      const res = await runCli([
        "build",
        "ig.yaml",
        "--arch",
        "host",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "plain",
      ], { cwd: dir });
      assertEquals(res.code, 0, res.stderr);
      const pkg = await readPackage(`${dir}/packages/${ARCH}/ig-1.0.0-r0.apk`);
      assertEquals(
        pkg.files.get("usr/share/files"),
        ".melangeignore\nmain.c\nsub/keep.c\n",
      );
    }),
});

Deno.test({
  name: "build: an --out-dir that is a file is said so in words",
  ...needs,
  fn: () =>
    withTempDir(async (dir) => {
      writeFileSync(`${dir}/file`, "");
      const res = await runCli([
        "build",
        repoPath("examples", "hello.yaml"),
        "--buildkit-addr",
        ADDR,
        "--out-dir",
        `${dir}/file`,
      ]);
      assertEquals(res.code, 1);
      assertEquals(
        res.stderr.trim().split("\n").at(-1),
        `error: --out-dir ${dir}/file: creating ${dir}/file/${ARCH}: ` +
          "a part of the path is a file, not a directory (ENOTDIR)",
      );
    }),
});
