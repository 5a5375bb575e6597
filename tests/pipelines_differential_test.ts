/**
 * Our built-in pipelines against melange v0.59.1's own pipeline files
 * (../shared/melange-pipelines-v0.59.1, passed with --pipeline-dir): the same
 * melange file is built twice on the real daemon, from the same fixture tree
 * and inputs, and every package's files (paths, types, modes, link targets,
 * contents) must come out the same.
 *
 * Covered: fetch, autoconf/configure (a tree with only configure.ac, so
 * autoreconf runs), autoconf/make, autoconf/make-install, perl/cleanup,
 * strip, and split/dev, static, lib, locales, infodir, manpages, alldocs,
 * debug and bin. The other pipelines need tools the local repository does
 * not have (git, cmake, meson, cargo, python, ruby, npm, php, R, maven).
 */
import { assert, assertEquals } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { haveShared, repoPath, sharedPath } from "./shared.ts";
import { runCli } from "./cli.ts";
import { existsSync, readdirSync } from "node:fs";

const { localRepo, makeKey, serveFile } = haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

const melangePipelines = sharedPath("melange-pipelines-v0.59.1");
const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";

/** The build: a fixture tree made by plain steps, then the pipelines under test. */
function melangeFile(repo: string, key: string): string {
  return `package:
  name: diff
  version: "1.0"
  epoch: 0
  description: built twice, with melange's pipelines and with ours
  copyright:
    - license: Apache-2.0
environment:
  contents:
    repositories:
      - ${repo}
    keyring:
      - ${key}
    packages:
      - busybox
      - build-base
vars:
  mirror: http://127.0.0.1:8000
pipeline:
  - uses: fetch
    with:
      uri: \${{vars.mirror}}/hello-c-1.0.tar.gz
      expected-sha256: 14908128319882dc1a40f3c873afe21b197c4a7f12f30a6f29cfa4c8b2de4a27
  - name: an autotools project with only configure.ac and Makefile.am
    runs: |
      mkdir -p auto && cd auto
      cat > configure.ac <<'EOF'
      AC_INIT([auto], [1.0])
      AM_INIT_AUTOMAKE([foreign])
      AC_PROG_CC
      AC_CONFIG_FILES([Makefile])
      AC_OUTPUT
      EOF
      cat > Makefile.am <<'EOF'
      bin_PROGRAMS = auto
      auto_SOURCES = auto.c
      EOF
      printf 'int main(void) { return 0; }\\n' > auto.c
  - uses: autoconf/configure
    with:
      dir: auto
  - uses: autoconf/make
    with:
      dir: auto
  - uses: autoconf/make-install
    with:
      dir: auto
  - name: files for every split pipeline
    runs: |
      d=\${{targets.destdir}}
      mkdir -p $d/usr/include $d/usr/lib/pkgconfig $d/usr/share/man/man1 $d/usr/share/info \\
        $d/usr/share/doc/diff $d/usr/share/locale/de/LC_MESSAGES $d/usr/bin $d/usr/lib/perl5
      echo 'int f(void);' > $d/usr/include/diff.h
      echo 'Name: diff' > $d/usr/lib/pkgconfig/diff.pc
      printf 'int f(void) { return 1; }\\n' > f.c
      cc -g -fPIC -shared -Wl,-soname,libdiff.so.1 -o $d/usr/lib/libdiff.so.1.0 f.c
      ln -s libdiff.so.1.0 $d/usr/lib/libdiff.so.1
      ln -s libdiff.so.1 $d/usr/lib/libdiff.so
      cc -c f.c -o f.o && ar rcs $d/usr/lib/libdiff.a f.o
      cc -g -DPACKAGE='"hello"' -DVERSION='"1.0"' -o $d/usr/bin/hello hello.c
      ln $d/usr/bin/hello $d/usr/bin/hello-again
      echo '.TH DIFF 1' > $d/usr/share/man/man1/diff.1
      echo 'info' > $d/usr/share/info/diff.info
      echo 'dir' > $d/usr/share/info/dir
      echo 'readme' > $d/usr/share/doc/diff/README
      echo 'msg' > $d/usr/share/locale/de/LC_MESSAGES/diff.mo
      echo 'pod' > $d/usr/lib/perl5/perllocal.pod
      echo 'list' > $d/usr/lib/perl5/.packlist
      chmod 0640 $d/usr/share/doc/diff/README
      mkdir -p $d/etc && echo 'conf' > $d/etc/diff.conf
  - uses: perl/cleanup
subpackages:
  - name: diff-static
    pipeline:
      - uses: split/static
  - name: diff-dev
    pipeline:
      - uses: split/dev
  - name: diff-locales
    pipeline:
      - uses: split/locales
  - name: diff-info
    pipeline:
      - uses: split/infodir
  - name: diff-man
    pipeline:
      - uses: split/manpages
  - name: diff-doc
    pipeline:
      - uses: split/alldocs
  - name: diff-dbg
    pipeline:
      - uses: split/debug
  - name: diff-libs
    pipeline:
      - uses: split/lib
  - name: diff-bin
    pipeline:
      - uses: split/bin
      - uses: strip
`;
}

/** Every data entry of a package: path, type, mode, link target and a digest of the content. */
async function entries(apk: string): Promise<string[]> {
  const script = [
    "import sys, tarfile, hashlib",
    "with tarfile.open(sys.argv[1], 'r:gz') as t:",
    "    for m in sorted(t.getmembers(), key=lambda m: m.name):",
    "        if m.name.startswith('.') or m.name.startswith('var/lib/db/sbom'): continue",
    "        h = hashlib.sha256(t.extractfile(m).read()).hexdigest()[:16] if m.isfile() else ''",
    "        print(m.name, m.type.decode(), oct(m.mode), m.linkname, h)",
  ].join("\n");
  const out = await new Deno.Command("python3", { args: ["-c", script, apk] }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

/** Builds the file into `out`, with `--pipeline-dir` options `extra`; every package's entries. */
async function build(dir: string, out: string, extra: string[]) {
  const key = existsSync(`${dir}/test.rsa`) ? `${dir}/test.rsa` : await makeKey(dir);
  const r = await runCli([
    "build",
    `${dir}/diff.yaml`,
    "--out-dir",
    out,
    "--signing-key",
    key,
    "--buildkit-addr",
    ADDR,
    "--arch",
    "host",
    "--progress",
    "plain",
    "--vars-file",
    `${dir}/vars.yaml`,
    ...extra,
  ], { env: { SOURCE_DATE_EPOCH: "1700000000" } });
  assertEquals(r.code, 0, r.stderr);
  const apks = readdirSync(`${out}/${ARCH}`).filter((f) => f.endsWith(".apk")).sort();
  const trees: Record<string, string[]> = {};
  for (const a of apks) trees[a] = await entries(`${out}/${ARCH}/${a}`);
  return trees;
}

Deno.test({
  name: "pipelines: ours and melange's make the same packages from the same tree",
  ignore: !haveDaemon || !haveShared || !existsSync(melangePipelines),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const server = serveFile(repoPath("tests", "fixtures", "releases"));
      try {
        Deno.writeTextFileSync(`${dir}/vars.yaml`, `mirror: ${server.url}\n`);
        Deno.writeTextFileSync(
          `${dir}/diff.yaml`,
          melangeFile(localRepo.repository, localRepo.publicKey),
        );
        const theirs = await build(dir, `${dir}/melange`, ["--pipeline-dir", melangePipelines]);
        const ours = await build(dir, `${dir}/ours`, []);
        assertEquals(Object.keys(ours), Object.keys(theirs));
        for (const apk of Object.keys(theirs)) assertEquals(ours[apk], theirs[apk], apk);
        // The fixture reached every pipeline: each split package holds something.
        for (const [apk, files] of Object.entries(ours)) {
          assert(files.some((f) => f.split(" ")[1] === "0"), `${apk} has no file: ${files}`);
        }
        const bin = ours[`diff-bin-1.0-r0.apk`].join("\n");
        assert(bin.includes("usr/bin/auto "), bin);
        assert(ours[`diff-dbg-1.0-r0.apk`].some((f) => f.includes(".debug")));
      } finally {
        await server.close();
      }
    }),
});
