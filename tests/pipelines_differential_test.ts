/**
 * Our built-in pipelines against melange v0.59.1's own pipeline files
 * (../shared/melange-pipelines-v0.59.1, passed with --pipeline-dir): the same
 * melange file is built twice on the real daemon, from the same fixture tree
 * and inputs, and every package's files (paths, types, modes, link targets,
 * contents) must come out the same.
 *
 * Covered: fetch, autoconf/configure (a tree with only configure.ac, so
 * autoreconf runs), autoconf/make, autoconf/make-install, perl/cleanup,
 * strip, split/dev, static, lib, locales, infodir, manpages, alldocs, debug
 * and bin, go/build and go/build/v2, git-checkout (a tag and a cherry-pick
 * whose comment holds quotes), git-am, patch, cmake/configure, build and
 * install, ruby/build, install and clean, python/build and install. The
 * others need what the local repository does not have (meson, cargo, npm,
 * php, R, maven, llvm, xcover; python's build and installer modules, and
 * wolfi-base for python/import and python/test).
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

/** Builds `dir/file` into `out`, with options `extra`; every package's entries. */
async function build(dir: string, file: string, out: string, extra: string[]) {
  const key = existsSync(`${dir}/test.rsa`) ? `${dir}/test.rsa` : await makeKey(dir);
  const r = await runCli([
    "build",
    `${dir}/${file}`,
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
    // Both sides get the same workspace: empty, unless a test names its source (by default
    // the build file's directory would be copied in, with the host's upstream repository and
    // the other side's packages in it).
    ...(extra.includes("--source-dir") ? [] : ["--empty-workspace"]),
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
        const vars = ["--vars-file", `${dir}/vars.yaml`];
        const theirs = await build(dir, "diff.yaml", `${dir}/melange`, [
          ...vars,
          "--pipeline-dir",
          melangePipelines,
        ]);
        const ours = await build(dir, "diff.yaml", `${dir}/ours`, vars);
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

/** A Go program built with go/build, and with go/build/v2 (which strips) into a subpackage. */
function goFile(repo: string, key: string): string {
  return `package:
  name: gohello
  version: "0.2.0"
  epoch: 0
  description: a Go program built by both pipelines
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
      - go
  environment:
    CGO_ENABLED: "0"
pipeline:
  - uses: go/build
    with:
      packages: .
      output: gohello
      ldflags: -X main.version=\${{package.version}}
subpackages:
  - name: gohello-v2
    pipeline:
      - uses: go/build/v2
        with:
          output: gohello2
          ldflags: -X main.version=v2
`;
}

Deno.test({
  name: "pipelines: ours and melange's go/build and go/build/v2 make the same packages",
  ignore: !haveDaemon || !haveShared || !existsSync(melangePipelines),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      Deno.mkdirSync(`${dir}/gohello`);
      Deno.writeTextFileSync(`${dir}/gohello/go.mod`, "module example.com/gohello\n\ngo 1.22\n");
      Deno.writeTextFileSync(
        `${dir}/gohello/main.go`,
        'package main\n\nimport "fmt"\n\nvar version = "dev"\n\nfunc main() { fmt.Println("hello", version) }\n',
      );
      Deno.writeTextFileSync(
        `${dir}/gohello.yaml`,
        goFile(localRepo.repository, localRepo.publicKey),
      );
      // The module is the workspace: gohello/ is the source directory (melange's default
      // would be the build file's directory, with gohello/ inside it).
      const source = ["--source-dir", `${dir}/gohello`];
      const theirs = await build(dir, "gohello.yaml", `${dir}/melange`, [
        "--pipeline-dir",
        melangePipelines,
        ...source,
      ]);
      const ours = await build(dir, "gohello.yaml", `${dir}/ours`, source);
      assertEquals(Object.keys(ours), ["gohello-0.2.0-r0.apk", "gohello-v2-0.2.0-r0.apk"]);
      for (const apk of Object.keys(theirs)) assertEquals(ours[apk], theirs[apk], apk);
      assert(ours["gohello-0.2.0-r0.apk"].some((f) => f.startsWith("usr/bin/gohello ")));
      assert(ours["gohello-v2-0.2.0-r0.apk"].some((f) => f.startsWith("usr/bin/gohello2 ")));
    }),
});

/** Commands that make the upstream repository, the same on the host and in the build. */
const UPSTREAM = `set -e
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t
export GIT_COMMITTER_EMAIL=t@example.com GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000
mkdir -p "$1" && cd "$1"
git init -q -b main
printf 'cmake_minimum_required(VERSION 3.10)\\nproject(vcs C)\\nadd_executable(vcs vcs.c)\\ninstall(TARGETS vcs DESTINATION bin)\\n' > CMakeLists.txt
printf 'int main(void) { return 0; }\\n' > vcs.c
git add . && git commit -q -m one && git tag -a v1 -m "release 1"
git checkout -q -b fixes
echo fixed > FIX && git add FIX && git commit -q -m "Don't crash"
git checkout -q main
`;

/** The upstream's tag commit and fix commit, made on the host with the same commands. */
async function upstreamCommits(dir: string): Promise<{ tag: string; fix: string }> {
  const run = (args: string[]) =>
    new Deno.Command(args[0], { args: args.slice(1), stdout: "piped", stderr: "piped" }).output();
  const made = await run(["sh", "-c", UPSTREAM, "sh", `${dir}/upstream`]);
  assertEquals(made.code, 0, new TextDecoder().decode(made.stderr));
  const rev = async (ref: string) =>
    new TextDecoder().decode(
      (await run(["git", "-C", `${dir}/upstream`, "rev-parse", `${ref}^{commit}`])).stdout,
    ).trim();
  return { tag: await rev("v1"), fix: await rev("fixes") };
}

/** git-checkout (a tag, a cherry-pick), patch, git-am and cmake on the checked-out tree. */
function vcsFile(repo: string, key: string, c: { tag: string; fix: string }): string {
  const upstream = UPSTREAM.split("\n").map((l) => `      ${l}`).join("\n");
  return `package:
  name: vcs
  version: "1.0"
  epoch: 0
  description: sources checked out, patched and built by both pipelines
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
      - git
  environment:
    GIT_AUTHOR_NAME: t
    GIT_AUTHOR_EMAIL: t@example.com
    GIT_COMMITTER_NAME: t
    GIT_COMMITTER_EMAIL: t@example.com
    GIT_COMMITTER_DATE: "@1700000000"
pipeline:
  - name: the upstream repository, a patch and a mailbox patch
    runs: |
      cat > upstream.sh <<'UPSTREAM'
${upstream}
      UPSTREAM
      sh upstream.sh /home/build/upstream
      printf -- '--- a/vcs.c\\n+++ b/vcs.c\\n@@ -1 +1 @@\\n-int main(void) { return 0; }\\n+int main(void) { return 1; }\\n' > fix.patch
      git -C upstream format-patch -q -1 --stdout fixes > mail.patch
  - uses: git-checkout
    with:
      repository: /home/build/upstream
      tag: v1
      expected-commit: ${c.tag}
      destination: src
      cherry-picks: |
        fixes/${c.fix}: Don't crash on "quoted" input
  - working-directory: src
    pipeline:
      - runs: git reset -q --hard HEAD~1
      - uses: git-am
        with:
          patches: /home/build/mail.patch
      - uses: patch
        with:
          patches: ../fix.patch
      - uses: cmake/configure
      - uses: cmake/build
      - uses: cmake/install
  - runs: |
      mkdir -p \${{targets.destdir}}/usr/share/vcs
      cd src
      tar --exclude=.git --exclude=output -c . | tar -C \${{targets.destdir}}/usr/share/vcs -x
      git log --format=%s > \${{targets.destdir}}/usr/share/vcs/LOG
`;
}

Deno.test({
  name: "pipelines: ours and melange's git-checkout, patch, git-am and cmake make the same package",
  ignore: !haveDaemon || !haveShared || !existsSync(melangePipelines) ||
    !existsSync("/usr/bin/git"),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const commits = await upstreamCommits(dir);
      Deno.writeTextFileSync(
        `${dir}/vcs.yaml`,
        vcsFile(localRepo.repository, localRepo.publicKey, commits),
      );
      const theirs = await build(dir, "vcs.yaml", `${dir}/melange`, [
        "--pipeline-dir",
        melangePipelines,
      ]);
      const ours = await build(dir, "vcs.yaml", `${dir}/ours`, []);
      assertEquals(ours, theirs);
      const files = ours["vcs-1.0-r0.apk"].join("\n");
      assert(files.includes("usr/bin/vcs "), files);
      assert(files.includes("usr/share/vcs/FIX "), files);
    }),
});

/** A gem built, installed and cleaned by ruby/build, ruby/install and ruby/clean. */
function rubyFile(repo: string, key: string): string {
  return `package:
  name: ruby-hola
  version: "0.1.0"
  epoch: 0
  description: a gem built by both pipelines
  copyright:
    - license: MIT
environment:
  contents:
    repositories:
      - ${repo}
    keyring:
      - ${key}
    packages:
      - busybox
      - ruby
pipeline:
  - name: a gem's sources
    runs: |
      mkdir -p lib bin
      echo 'module Hola; def self.hi = "hola"; end' > lib/hola.rb
      printf '#!/usr/bin/env ruby\\nrequire "hola"\\nputs Hola.hi\\n' > bin/hola
      cat > hola.gemspec <<'EOF'
      Gem::Specification.new do |s|
        s.name = "hola"
        s.version = "0.1.0"
        s.summary = "hola"
        s.authors = ["t"]
        s.files = ["lib/hola.rb", "bin/hola"]
        s.executables = ["hola"]
        s.signing_key = "/nowhere/key.pem"
        s.license = "MIT"
      end
      EOF
  - uses: ruby/build
    with:
      gem: hola
  - uses: ruby/install
    with:
      gem: hola
      version: 0.1.0
  - uses: ruby/clean
`;
}

Deno.test({
  name:
    "pipelines: ours and melange's ruby/build, ruby/install and ruby/clean make the same package",
  ignore: !haveDaemon || !haveShared || !existsSync(melangePipelines),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      Deno.writeTextFileSync(
        `${dir}/ruby.yaml`,
        rubyFile(localRepo.repository, localRepo.publicKey),
      );
      const theirs = await build(dir, "ruby.yaml", `${dir}/melange`, [
        "--pipeline-dir",
        melangePipelines,
      ]);
      const ours = await build(dir, "ruby.yaml", `${dir}/ours`, []);
      assertEquals(ours, theirs);
      const files = ours["ruby-hola-0.1.0-r0.apk"].join("\n");
      assert(files.includes("usr/bin/hola "), files);
      assert(/gems\/hola-0\.1\.0\/lib\/hola\.rb /.test(files), files);
      // ruby/clean left no gem cache behind.
      assert(!/\/cache\//.test(files), files);
    }),
});

/** A setup.py project built and installed by python/build and python/install. */
function pythonFile(repo: string, key: string): string {
  return `package:
  name: py3-hola
  version: "0.1.0"
  epoch: 0
  description: a python project built by both pipelines
  copyright:
    - license: MIT
environment:
  contents:
    repositories:
      - ${repo}
    keyring:
      - ${key}
    packages:
      - busybox
      - python3
      - py3-setuptools
pipeline:
  - name: a setup.py project
    runs: |
      mkdir -p hola
      echo 'def hi(): return "hola"' > hola/__init__.py
      echo 'from setuptools import setup' > setup.py
      echo 'setup(name="hola", version="0.1.0", packages=["hola"])' >> setup.py
  - uses: python/build
  - uses: python/install
  - name: the installed module imports
    runs: |
      init=$(find \${{targets.destdir}} -path '*/hola/__init__.py' | head -n 1)
      cd / && PYTHONPATH=\${init%/hola/__init__.py} \\
        python3 -c 'import hola; print(hola.hi())' > \${{targets.destdir}}/hola.out
`;
}

Deno.test({
  name: "pipelines: ours and melange's python/build and python/install make the same package",
  ignore: !haveDaemon || !haveShared || !existsSync(melangePipelines),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      Deno.writeTextFileSync(
        `${dir}/py.yaml`,
        pythonFile(localRepo.repository, localRepo.publicKey),
      );
      const theirs = await build(dir, "py.yaml", `${dir}/melange`, [
        "--pipeline-dir",
        melangePipelines,
      ]);
      const ours = await build(dir, "py.yaml", `${dir}/ours`, []);
      assertEquals(ours, theirs);
      const files = ours["py3-hola-0.1.0-r0.apk"].join("\n");
      assert(/hola\/__init__\.py /.test(files), files);
      assert(files.includes("hola.out "), files);
    }),
});
