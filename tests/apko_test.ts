/**
 * Interoperability with apko (v1.2.33, the release melange v0.59.1 builds
 * with; scripts/setup.sh builds it from the Go module proxy): an `apko
 * build` of an image from a local repository our writer made (busybox and
 * its symlinks, glibc, build-base, go) has every file, directory, link,
 * owner, mode and xattr of our packages; packages we build into an out
 * directory install with apko, which verifies our index signature and
 * refuses a wrong key, a tampered index and a tampered package.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { repoPath } from "./shared.ts";
import { runCli } from "./cli.ts";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";

const APKO = Deno.env.get("MELANGE2_APKO") ?? "/opt/melange2/apko/v1.2.33/bin/apko";
const haveApko = existsSync(APKO);
if (!haveApko) console.log(`note: no apko at ${APKO}; run bash scripts/setup.sh`);
const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";

const { ensureLocalRepo } = haveApko
  ? await import("../scripts/local_repo.ts")
  : ({} as typeof import("../scripts/local_repo.ts"));
const { makeKey } = haveApko && haveDaemon
  ? await import("./support/build.ts")
  : ({} as typeof import("./support/build.ts"));

async function apko(args: string[], cwd: string) {
  const out = await new Deno.Command(APKO, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  return {
    code: out.code,
    output: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
  };
}

function config(dir: string, repos: string[], keys: string[], packages: string[]): string {
  const file = `${dir}/apko-${crypto.randomUUID().slice(0, 8)}.yaml`;
  const list = (xs: string[]) => xs.map((x) => `    - ${x}`).join("\n");
  writeFileSync(
    file,
    `contents:\n  repositories:\n${list(repos)}\n  keyring:\n${list(keys)}\n  packages:\n${
      list(packages)
    }\narchs:\n  - ${ARCH}\n`,
  );
  return file;
}

/**
 * Compares every entry of the packages' data with what apko made of it: the
 * image's (or root file system's) tar for kind, link target, contents,
 * xattrs and file modes, and apko's installed database (`a:`/`M:`) for
 * owners and modes. apko's own tar writer leaves out owners other than root
 * and the sticky bit of directories, so those are checked where apko
 * recorded what it read from our packages.
 */
const COMPARE = `
import hashlib, json, sys, tarfile
src = sys.argv[1]
if src.endswith('image.tar'):
    img = tarfile.open(src)
    manifest = json.load(img.extractfile('manifest.json'))
    layer = tarfile.open(fileobj=img.extractfile(manifest[0]['Layers'][0]), mode='r|gz')
else:
    layer = tarfile.open(src, mode='r|*')
def xattrs(m):
    return {k: v.encode('utf-8', 'surrogateescape').hex()
            for k, v in m.pax_headers.items() if k.startswith('SCHILY.xattr.')}
def rec(m, data):
    r = {'type': m.type.decode(), 'mode': m.mode & (0o777 if m.isdir() else 0o7777),
         'xattrs': xattrs(m)}
    if m.issym() or m.islnk(): r['link'] = m.linkname
    if m.isfile(): r['sha1'] = hashlib.sha1(data).hexdigest()
    return r
def contents(t, m):
    return t.extractfile(m).read() if m.isfile() else None
have, db = {}, ''
for m in layer:
    data = contents(layer, m)
    have[m.name.rstrip('/')] = rec(m, data)
    if m.name == 'usr/lib/apk/db/installed': db = data.decode()
# apko's record of owners and modes: F:/M: for directories, R:/a: for files.
owners, d, last = {}, '', None
for line in db.split('\\n'):
    k, _, v = line.partition(':')
    if k == 'F': d = v; owners[d] = '0:0:755'; last = d
    elif k == 'M': owners[d] = v
    elif k == 'R': last = (d + '/' + v) if d else v; owners[last] = '0:0:644'
    elif k == 'a': owners[last] = v
def acl(s):
    u, g, m = s.split(':')
    return [int(u), int(g), int(m, 8)]
checked, problems = 0, []
for apk in sys.argv[2:]:
    with tarfile.open(apk, 'r:gz') as t:
        for m in t:
            if m.name.startswith('.'): continue
            name = m.name.rstrip('/')
            want = rec(m, contents(t, m))
            got = have.get(name)
            checked += 1
            if got is None:
                problems.append([apk, name, 'missing'])
                continue
            if m.isdir():
                # a directory several packages share is the image's once
                got = {k: got[k] for k in ('type', 'mode')}
                want = {k: want[k] for k in ('type', 'mode')}
            if got != want:
                problems.append([apk, name, want, got])
            mode = m.mode & 0o7777
            if not m.issym() and name in owners and acl(owners[name]) != [m.uid, m.gid, mode]:
                problems.append([apk, name, 'owner', [m.uid, m.gid, oct(mode)], owners[name]])
print(json.dumps({'checked': checked, 'problems': problems[:20], 'owners': len(owners)}))
`;

async function compare(tarball: string, apks: string[]) {
  const out = await new Deno.Command("python3", { args: ["-c", COMPARE, tarball, ...apks] })
    .output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    checked: number;
    problems: unknown[];
    owners: number;
  };
}

Deno.test({
  name:
    "apko: an image built from a local repository we wrote has every file, owner, mode and link",
  ignore: !haveApko,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      // A repository made by this writer (the shared one may predate it).
      const { repository, publicKey } = await ensureLocalRepo(`${dir}/repo`, () => {}, [ARCH]);
      const packages = ["busybox", "glibc", "build-base", "go", "ca-certificates-bundle"];
      const res = await apko([
        "build",
        config(dir, [repository], [publicKey], packages),
        "melange2-test:latest",
        `${dir}/image.tar`,
        "--arch",
        ARCH,
      ], dir);
      assertEquals(res.code, 0, res.output);
      // The repository holds the pipelines' tools too; the image has these packages.
      const named = new RegExp(`^(${packages.join("|")})-[0-9][^-]*-r[0-9]+\\.apk$`);
      const apks = readdirSync(`${repository}/${ARCH}`).filter((f) => named.test(f))
        .map((f) => `${repository}/${ARCH}/${f}`);
      assertEquals(apks.length, packages.length);
      const { checked, problems, owners } = await compare(`${dir}/image.tar`, apks);
      assertEquals(problems, []);
      assert(checked > 5000 && owners > 5000, `${checked} entries checked, ${owners} owners`);
    }),
});

Deno.test({
  name:
    "apko: packages we build install from our out directory; apko verifies our index and packages",
  ignore: !haveApko || !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const key = await makeKey(dir);
      const out = `${dir}/packages`;
      for (const file of ["examples/hello.yaml", "tests/fixtures/build/owners.yaml"]) {
        const built = await runCli([
          "build",
          repoPath(...file.split("/")),
          "--signing-key",
          key,
          "--keyring-append",
          "/var/cache/melange2/local-repo/melange2-local.rsa.pub",
          "--buildkit-addr",
          ADDR,
          "--progress",
          "quiet",
          "--out-dir",
          out,
        ]);
        assertEquals(built.code, 0, built.stderr);
      }
      const cfg = config(dir, [out], [`${key}.pub`], ["owners", "hello"]);
      const ok = await apko(["build-minirootfs", cfg, `${dir}/rootfs.tar`], dir);
      assertEquals(ok.code, 0, ok.output);
      const apks = ["owners-1.0.0-r0.apk", "hello-1.0.0-r0.apk"].map((f) => `${out}/${ARCH}/${f}`);
      const { checked, problems, owners } = await compare(`${dir}/rootfs.tar`, apks);
      assertEquals(problems, []);
      assert(checked >= 20 && owners >= 15, `${checked} entries checked, ${owners} owners`);

      // A key of the same name that did not sign the index: refused.
      mkdirSync(`${dir}/other`);
      const other = await makeKey(`${dir}/other`);
      const wrong = await apko([
        "build-minirootfs",
        config(dir, [out], [`${other}.pub`], ["hello"]),
        `${dir}/wrong.tar`,
      ], dir);
      assert(wrong.code !== 0, wrong.output);
      assertStringIncludes(wrong.output, "signature verification failed for repository index");

      // A tampered package (its index checksum no longer matches): refused.
      const tampered = `${dir}/tampered`;
      mkdirSync(`${tampered}/${ARCH}`, { recursive: true });
      for (const f of readdirSync(`${out}/${ARCH}`)) {
        copyFileSync(`${out}/${ARCH}/${f}`, `${tampered}/${ARCH}/${f}`);
      }
      const pkg = `${tampered}/${ARCH}/hello-1.0.0-r0.apk`;
      const bytes = readFileSync(pkg);
      bytes[bytes.length - 30] ^= 0xff;
      writeFileSync(pkg, bytes);
      const bad = await apko([
        "build-minirootfs",
        config(dir, [tampered], [`${key}.pub`], ["hello"]),
        `${dir}/bad.tar`,
      ], dir);
      assert(bad.code !== 0, bad.output);
      assertStringIncludes(bad.output, "expanding hello");

      // A tampered index (its signature no longer covers it): refused.
      copyFileSync(`${out}/${ARCH}/hello-1.0.0-r0.apk`, pkg);
      const index = readFileSync(`${tampered}/${ARCH}/APKINDEX.tar.gz`);
      index[index.length - 30] ^= 0xff;
      writeFileSync(`${tampered}/${ARCH}/APKINDEX.tar.gz`, index);
      const badIndex = await apko([
        "build-minirootfs",
        config(dir, [tampered], [`${key}.pub`], ["hello"]),
        `${dir}/bad-index.tar`,
      ], dir);
      assert(badIndex.code !== 0, badIndex.output);
      assertStringIncludes(badIndex.output, "APKINDEX.tar.gz");
    }),
});
