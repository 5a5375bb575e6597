/**
 * Installation: real packages from apko's test repository into a directory
 * (with apk's database), and malicious packages that must write nothing
 * outside the root.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { createHash, generateKeyPairSync } from "node:crypto";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { installEnvironment, resolveEnvironment } from "../lib/apk/environment.ts";
import { emptyPackage, writeIndexArchive } from "../lib/apk/index.ts";
import { formatInstalledDb, parseInstalledDb } from "../lib/apk/installed.ts";
import { apkFromTar, entry, handMadeApk } from "./support/apk.ts";
import { writeTar } from "../lib/apk/tar.ts";
import { withTempDir } from "./support/tmp.ts";
import { serveFile } from "./support/serve.ts";
import { haveShared, repoPath, sharedPath } from "./shared.ts";
import { Buffer } from "node:buffer";
import { readApk } from "../lib/apk/archive.ts";
import { V8_FLAGS } from "../cli/v8flags.ts";

const shared = { ignore: !haveShared };

Deno.test({
  name: "installed db: apk-tools' own database round-trips byte for byte; Wolfi's parses",
  ...shared,
  fn: () => {
    const apkTools = readFileSync(
      sharedPath("fixtures", "alpine", "root", "usr", "lib", "apk", "db", "installed"),
      "utf8",
    );
    const parsed = parseInstalledDb(apkTools);
    assertEquals(parsed.length, 14);
    assertEquals(formatInstalledDb(parsed), apkTools);
    const wolfi = parseInstalledDb(
      readFileSync(sharedPath("fixtures", "alpine", "installed", "wolfi-base"), "utf8"),
    );
    assertEquals(wolfi.length, 15);
    const baselayout = wolfi.find((p) => p.pkg.name === "wolfi-baselayout")!;
    const etc = baselayout.dirs.find((d) => d.name === "etc")!;
    assertEquals(etc.files.find((f) => f.name === "shadow")?.acl, "0:0:0600");
    assert(etc.files.every((f) => f.checksum?.startsWith("Q1")));
  },
});

Deno.test({
  name:
    "install: apko-testrepo packages unpack with the database, world, keys and accounts apk expects",
  ...shared,
  fn: () =>
    withTempDir(async (dir) => {
      const spec = {
        repositories: [sharedPath("fixtures", "apko-testrepo")],
        keyring: [sharedPath("fixtures", "apko-testrepo", "melange.rsa.pub")],
        packages: ["replayout", "custom-ca-certs-1"],
        arch: "x86_64",
      };
      const resolved = await resolveEnvironment(spec);
      assertEquals(resolved.packages.map((p) => p.name), [
        "pretend-baselayout",
        "replayout",
        "custom-ca-certs-1",
      ]);
      const root = join(dir, "root");
      await installEnvironment(resolved, root, spec);
      const db = parseInstalledDb(readFileSync(join(root, "lib/apk/db/installed"), "utf8"));
      assertEquals(db.map((p) => p.pkg.name), [
        "pretend-baselayout",
        "replayout",
        "custom-ca-certs-1",
      ]);
      // Every file the database lists is there with the checksum it records.
      for (const p of db) {
        for (const d of p.dirs) {
          for (const f of d.files) {
            const path = join(root, d.name, f.name);
            const st = lstatSync(path);
            const data = st.isSymbolicLink()
              ? new TextEncoder().encode(Deno.readLinkSync(path))
              : readFileSync(path);
            assertEquals(f.checksum, "Q1" + createHash("sha1").update(data).digest("base64"), path);
          }
        }
      }
      // replayout replaces pretend-baselayout's os-release: the file is recorded once, for replayout.
      const owners = db.filter((p) =>
        p.dirs.some((d) => d.name === "etc" && d.files.some((f) => f.name === "os-release"))
      );
      assertEquals(owners.map((p) => p.pkg.name), ["replayout"]);
      assertEquals(
        readFileSync(join(root, "etc/apk/world"), "utf8"),
        "custom-ca-certs-1\nreplayout\n",
      );
      assert(existsSync(join(root, "etc/apk/keys/melange.rsa.pub")));
      assertStringIncludes(readFileSync(join(root, "etc/passwd"), "utf8"), "build:x:1000:1000:");
      assertEquals(lstatSync(join(root, "tmp")).mode & 0o7777, 0o1777);
    }),
});

/** A one-package signed repository holding `apk`, in `dir`. */
async function repoWith(dir: string, name: string, apk: Uint8Array) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  const key = { name: "t.rsa", pem: privateKey };
  mkdirSync(join(dir, "repo", "x86_64"), { recursive: true });
  const info = await readApk(apk, new Map(), {
    allowUntrusted: true,
    skipDatahash: true,
    source: name,
  });
  writeFileSync(join(dir, "repo", "x86_64", `${name}-1-r0.apk`), apk);
  const index = await writeIndexArchive([{
    ...emptyPackage(name, "1-r0", "x86_64"),
    checksum: info.checksum,
    size: apk.length,
  }], {
    signingKey: key,
  });
  writeFileSync(join(dir, "repo", "x86_64", "APKINDEX.tar.gz"), index);
  writeFileSync(join(dir, "t.rsa.pub"), publicKey);
  return {
    repositories: [join(dir, "repo")],
    keyring: [join(dir, "t.rsa.pub")],
    packages: [name],
    arch: "x86_64",
    allowUntrusted: true,
  };
}

/** Everything under `dir`, for checking that nothing appeared outside the root. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

const MALICIOUS: [string, Parameters<typeof entry>[], string][] = [
  ["traversal", [["../escaped", {}, "x"]], "outside the root"],
  ["absolute", [["/escaped", {}, "x"]], "outside the root"],
  ["symlink escape", [["link", { type: "symlink", linkname: "../../.." }], [
    "link/escaped",
    {},
    "x",
  ]], "points outside the root"],
  [
    "hardlink escape",
    [["hard", { type: "link", linkname: "../../outside-target" }]],
    "outside the root",
  ],
  [
    "device node",
    [["dev-sda", { type: "block-device", devmajor: 8, devminor: 0 }]],
    "block-device",
  ],
  [
    "character device",
    [["null", { type: "character-device", devmajor: 1, devminor: 3 }]],
    "character-device",
  ],
];

for (const [what, entries, want] of MALICIOUS) {
  Deno.test(`install: refused, naming the package and path, writing nothing outside the root: ${what}`, () =>
    withTempDir(async (dir) => {
      writeFileSync(join(dir, "outside-target"), "secret");
      const apk = await handMadeApk("evil", "1-r0", entries.map((e) => entry(...e)));
      const spec = await repoWith(dir, "evil", apk);
      const before = listing(dir);
      const resolved = await resolveEnvironment(spec);
      const root = join(dir, "sandbox", "root");
      const err = await assertRejects(() => installEnvironment(resolved, root, spec));
      assertStringIncludes(err.message, "installing evil-1-r0");
      assertStringIncludes(err.message, want);
      const after = listing(dir).filter((p) => !p.startsWith("sandbox"));
      assertEquals(after, before);
      assertEquals(readFileSync(join(dir, "outside-target"), "utf8"), "secret");
    }));
}

Deno.test("install: a package whose header claims a huge size is refused as truncated", () =>
  withTempDir(async (dir) => {
    // A tar whose only header claims 8 GiB of contents that are not there.
    const tar = (await writeTar([entry("big", {}, "small")])).slice();
    tar.set(new TextEncoder().encode("77777777777\0"), 124);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : tar[i];
    tar.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    const spec = await repoWith(dir, "huge", await apkFromTar("huge", "1-r0", tar));
    const resolved = await resolveEnvironment({ ...spec });
    const err = await assertRejects(() =>
      installEnvironment(resolved, join(dir, "root"), { ...spec })
    );
    assertStringIncludes(err.message, "installing huge-1-r0");
  }));

Deno.test({
  name: "install: an environment becomes an OCI layer tarball with a stable digest",
  ...shared,
  fn: () =>
    withTempDir(async (dir) => {
      const { writeLayer } = await import("../lib/apk/layer.ts");
      const spec = {
        repositories: [sharedPath("fixtures", "apko-testrepo")],
        keyring: [sharedPath("fixtures", "apko-testrepo", "melange.rsa.pub")],
        packages: ["custom-ca-certs-1"],
        arch: "x86_64",
      };
      const root = join(dir, "root");
      await installEnvironment(await resolveEnvironment(spec), root, spec);
      const a = await writeLayer(root, join(dir, "a.tar.gz"));
      const b = await writeLayer(root, join(dir, "b.tar.gz"));
      assertEquals(a, b);
      assertEquals(readFileSync(join(dir, "a.tar.gz")), readFileSync(join(dir, "b.tar.gz")));
      const py = await new Deno.Command("python3", {
        args: [
          "-c",
          "import sys,tarfile; print('\\n'.join(m.name for m in tarfile.open(sys.argv[1])))",
          join(dir, "a.tar.gz"),
        ],
      }).output();
      const names = new TextDecoder().decode(py.stdout).split("\n");
      assert(
        names.includes("lib/apk/db/installed") && names.includes("etc/apk/world"),
        names.join(" "),
      );
      const sha = await new Deno.Command("sha256sum", { args: [join(dir, "a.tar.gz")] }).output();
      assertEquals(`sha256:${new TextDecoder().decode(sha.stdout).split(" ")[0]}`, a.digest);
    }),
});

Deno.test("install: setuid, setgid and sticky bits and owners are on disk as the installed database records them", () =>
  withTempDir(async (dir) => {
    const apk = await handMadeApk("modes", "1-r0", [
      entry("usr", { type: "directory", mode: 0o755 }),
      entry("usr/bin", { type: "directory", mode: 0o755 }),
      entry("usr/bin/su", { mode: 0o4755 }, "#!/bin/sh\n"),
      entry("usr/bin/wall", { mode: 0o2755, gid: 5 }, "#!/bin/sh\n"),
      entry("usr/bin/both", { mode: 0o6711, uid: 1000, gid: 1000 }, "#!/bin/sh\n"),
      entry("usr/bin/plain", { mode: 0o755 }, "#!/bin/sh\n"),
      entry("srv", { type: "directory", mode: 0o2775, uid: 1000, gid: 1000 }),
      entry("tmp", { type: "directory", mode: 0o1777 }),
      entry("tmp/sticky", { mode: 0o1644 }, "x"),
    ]);
    const spec = await repoWith(dir, "modes", apk);
    const root = join(dir, "root");
    await installEnvironment(await resolveEnvironment(spec), root, spec);
    const db = parseInstalledDb(readFileSync(join(root, "lib/apk/db/installed"), "utf8"));
    const pkg = db.find((p) => p.pkg.name === "modes")!;
    const seen: Record<string, string> = {};
    const onDisk = (path: string) => {
      const st = lstatSync(join(root, path));
      return `${st.uid}:${st.gid}:${(st.mode & 0o7777).toString(8)}`;
    };
    for (const d of pkg.dirs) {
      if (d.name) seen[d.name] = d.acl ?? "0:0:755";
      for (const f of d.files) {
        const path = d.name ? `${d.name}/${f.name}` : f.name;
        seen[path] = f.acl ?? "0:0:644";
      }
    }
    assertEquals(seen, {
      usr: "0:0:755",
      "usr/bin": "0:0:755",
      "usr/bin/su": "0:0:4755",
      "usr/bin/wall": "0:5:2755",
      "usr/bin/both": "1000:1000:6711",
      "usr/bin/plain": "0:0:755",
      srv: "1000:1000:2775",
      tmp: "0:0:1777",
      "tmp/sticky": "0:0:1644",
    });
    for (const [path, acl] of Object.entries(seen)) {
      if (Deno.uid() === 0) assertEquals(onDisk(path), acl, path);
      else assertEquals(onDisk(path).split(":")[2], acl.split(":")[2], path);
    }
  }));

/**
 * A package of one file of `size` zero bytes, its data part gzipped by
 * python at `level` (1: about a megabyte for 1 GiB; 0: stored, as large as
 * the file); the package and the file's SHA-1 (hex).
 */
async function zerosPackage(
  dir: string,
  size: number,
  level: number,
): Promise<{ apk: Uint8Array; sha1hex: string }> {
  const py = await new Deno.Command("python3", {
    args: [
      "-c",
      `import gzip, hashlib, io, sys, tarfile
size = ${size}
zero = bytes(1 << 20)
h = hashlib.sha1()
for _ in range(size >> 20): h.update(zero)
class Zeros(io.RawIOBase):
    def __init__(self): self.left = size
    def readable(self): return True
    def readinto(self, b):
        n = min(len(b), self.left); b[:n] = bytes(n); self.left -= n; return n
with gzip.open(sys.argv[1], 'wb', compresslevel=${level}) as gz:
    with tarfile.open(fileobj=gz, mode='w', format=tarfile.PAX_FORMAT) as t:
        d = tarfile.TarInfo('usr'); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)
        f = tarfile.TarInfo('usr/zeros'); f.size = size; f.mode = 0o644
        f.pax_headers = {'APK-TOOLS.checksum.SHA1': h.hexdigest()}
        t.addfile(f, io.BufferedReader(Zeros(), 1 << 20))
print(h.hexdigest())`,
      join(dir, "data.tar.gz"),
    ],
  }).output();
  assertEquals(py.code, 0, new TextDecoder().decode(py.stderr));
  const sha1hex = new TextDecoder().decode(py.stdout).trim();
  const data = readFileSync(join(dir, "data.tar.gz"));
  rmSync(join(dir, "data.tar.gz"));
  const { gzip } = await import("../lib/apk/gzip.ts");
  const { formatPkgInfo } = await import("../lib/apk/pkginfo.ts");
  const control = gzip(
    await writeTar([entry(
      ".PKGINFO",
      {},
      formatPkgInfo({
        pkgname: "zeros",
        pkgver: "1-r0",
        arch: "x86_64",
        size,
        builddate: 0,
        depend: [],
        provides: [],
        replaces: [],
        triggers: [],
        datahash: createHash("sha256").update(data).digest("hex"),
      }),
    )], { segment: true }),
  );
  const apk = new Uint8Array(control.length + data.length);
  apk.set(control);
  apk.set(data, control.length);
  return { apk, sha1hex };
}

/**
 * Installs `spec` in a child process; its peak RSS (kB). The child has the
 * V8 flags `build` and `test` run with (cli/v8flags.ts), where installs happen.
 */
async function installInChild(spec: unknown, root: string): Promise<number> {
  const child = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--v8-flags=${V8_FLAGS}`,
      repoPath("tests", "support", "install_child.ts"),
      JSON.stringify(spec),
      root,
    ],
  }).output();
  assertEquals(child.code, 0, new TextDecoder().decode(child.stderr));
  return Number(new TextDecoder().decode(child.stdout).trim());
}

/** The zeros file installed whole, its checksum in apk's database. */
function assertZerosInstalled(root: string, size: number, sha1hex: string) {
  assertEquals(lstatSync(join(root, "usr/zeros")).size, size);
  const db = parseInstalledDb(readFileSync(join(root, "lib/apk/db/installed"), "utf8"));
  const file = db.find((p) => p.pkg.name === "zeros")!.dirs.find((d) => d.name === "usr")!
    .files[0];
  assertEquals(file.checksum, "Q1" + Buffer.from(sha1hex, "hex").toString("base64"));
}

Deno.test({
  name: "install: a 1 GiB file from a small package installs in a process that stays under 200 MB",
  ignore: Deno.build.os !== "linux",
  fn: () =>
    withTempDir(async (dir) => {
      const GiB = 1 << 30;
      const { apk, sha1hex } = await zerosPackage(dir, GiB, 1);
      assert(apk.length < 8 << 20, `the package is small (${apk.length} bytes)`);
      const spec = await repoWith(dir, "zeros", apk);
      const peakKb = await installInChild(spec, join(dir, "root"));
      assertZerosInstalled(join(dir, "root"), GiB, sha1hex);
      console.log(`peak RSS of the installing process: ${Math.round(peakKb / 1024)} MB`);
      assert(peakKb > 0 && peakKb < 200 * 1024, `peak RSS ${peakKb} kB`);
    }),
});

Deno.test({
  name: "install: a 512 MiB package from a repository served over HTTP is streamed to the disk " +
    "(the installing process stays under 200 MB), with and without a cache directory",
  ignore: Deno.build.os !== "linux",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const size = 512 << 20;
      // Stored, not compressed: the package is as large as its file.
      const { apk, sha1hex } = await zerosPackage(dir, size, 0);
      assert(apk.length > size, `the package is large (${apk.length} bytes)`);
      const local = await repoWith(dir, "zeros", apk);
      const server = serveFile(join(dir, "repo"));
      try {
        const spec = { ...local, repositories: [server.url] };
        for (const cacheDir of [undefined, join(dir, "cache")]) {
          const root = join(dir, cacheDir ? "root-cached" : "root");
          const before = new Set(readdirSync(Deno.env.get("TMPDIR") ?? "/tmp"));
          const peakKb = await installInChild({ ...spec, cacheDir }, root);
          assertZerosInstalled(root, size, sha1hex);
          console.log(
            `peak RSS installing over HTTP (${cacheDir ? "cache" : "no cache"}): ` +
              `${Math.round(peakKb / 1024)} MB`,
          );
          assert(peakKb > 0 && peakKb < 200 * 1024, `peak RSS ${peakKb} kB`);
          if (cacheDir) {
            // The cache keeps the package for the next build, whole.
            const kept = readdirSync(join(cacheDir, "packages"));
            assertEquals(kept.length, 1, kept.join(", "));
            assertEquals(lstatSync(join(cacheDir, "packages", kept[0])).size, apk.length);
          } else {
            // Without one the download leaves nothing behind.
            const left = readdirSync(Deno.env.get("TMPDIR") ?? "/tmp")
              .filter((n) => !before.has(n) && n.startsWith("melange2-packages-"));
            assertEquals(left, []);
          }
        }
      } finally {
        await server.close();
      }
    }),
});

Deno.test("install: a data part of several gzip members streams whole; a corrupt one is refused clearly", async () => {
  const { streamData } = await import("../lib/apk/archive.ts");
  const { gzip } = await import("../lib/apk/gzip.ts");
  const tar = await writeTar([entry("a", {}, "AAA"), entry("b", {}, "B".repeat(100_000))]);
  const first = gzip(tar.subarray(0, 1024));
  const rest = gzip(tar.subarray(1024));
  const data = Buffer.concat([first, rest]);
  const seen: string[] = [];
  await streamData(data, async (h, body) => {
    let n = 0;
    for await (const c of body) n += c.length;
    seen.push(`${h.name}:${n}`);
  });
  assertEquals(seen, ["a:3", "b:100000"]);
  const corrupt = Buffer.from(data);
  corrupt[first.length + 40] ^= 0xff;
  const err = await assertRejects(() => streamData(corrupt, async () => {}));
  assertStringIncludes(err.message, "corrupt data part");
});

Deno.test({
  name:
    "install: xattrs whose values are not UTF-8 (file capabilities) are installed byte for byte",
  ignore: Deno.build.os !== "linux" || Deno.uid() !== 0,
  fn: () =>
    withTempDir(async (dir) => {
      const { writeXattrs, readXattrs } = await import("../lib/buildkit/xattr.ts");
      const { writePackage } = await import("../lib/apk/package.ts");
      const t = join(dir, "tree");
      mkdirSync(join(t, "usr/bin"), { recursive: true });
      writeFileSync(join(t, "usr/bin/ping"), "#!/bin/sh\n");
      chmodSync(join(t, "usr/bin/ping"), 0o4755);
      // v2 capabilities cap_setuid+cap_net_raw (byte 0x80: not UTF-8), and a binary user xattr.
      const cap = new Uint8Array(20);
      cap.set([0x01, 0x00, 0x00, 0x02, 0x80, 0x20]);
      const xattrs = {
        "security.capability": cap,
        "user.binary": new Uint8Array([0xff, 0xfe, 0x00, 0x80]),
        "user.text": new TextEncoder().encode("héllo"),
      };
      writeXattrs(join(t, "usr/bin/ping"), xattrs);
      writeXattrs(join(t, "usr/bin"), { "user.dir": new Uint8Array([0xc3, 0x28]) });
      const made = await writePackage(t, {
        name: "caps",
        version: "1-r0",
        epoch: 0,
        arch: "x86_64",
      }, { sourceDateEpoch: 0 });
      const spec = await repoWith(dir, "caps", made.bytes);
      const root = join(dir, "root");
      await installEnvironment(await resolveEnvironment(spec), root, spec);
      const got = readXattrs(join(root, "usr/bin/ping"));
      for (const [k, v] of Object.entries(xattrs)) assertEquals(got[k], v, k);
      assertEquals(readXattrs(join(root, "usr/bin"))["user.dir"], new Uint8Array([0xc3, 0x28]));
      assertEquals(lstatSync(join(root, "usr/bin/ping")).mode & 0o7777, 0o4755);
    }),
});

Deno.test("install: xattr bytes stay with their entries through GNU long names, global and per-entry PAX headers", async () => {
  // Written by python's tarfile: GNU long-name headers, then PAX (with a global header).
  const script = `
import io, sys, tarfile
out = io.BytesIO()
def add(t, name, data=b'', xattrs=None, kind=tarfile.REGTYPE, link=''):
    m = tarfile.TarInfo(name); m.type = kind; m.linkname = link; m.size = len(data)
    if xattrs: m.pax_headers = {'SCHILY.xattr.' + k: v.decode('utf-8', 'surrogateescape') for k, v in xattrs.items()}
    t.addfile(m, io.BytesIO(data) if data else None)
with tarfile.open(fileobj=out, mode='w', format=tarfile.GNU_FORMAT) as t:
    add(t, 'gnu/' + 'l' * 120, b'long')
    add(t, 'gnu/short', b'x' * 700)
out.seek(0)
with tarfile.open(fileobj=out, mode='a', format=tarfile.PAX_FORMAT, pax_headers={'comment': 'global'}) as t:
    add(t, 'pax/dir', kind=tarfile.DIRTYPE, xattrs={'user.d': b'\\xfe'})
    add(t, 'pax/plain', b'p' * 513)
    add(t, 'pax/bin', b'b', xattrs={'user.a': b'\\xff\\x00\\x80', 'user.b': b'ok'})
    add(t, 'pax/' + 'n' * 150, b'n', xattrs={'security.capability': b'\\x01\\x00\\x00\\x02\\x80'})
    add(t, 'pax/link', kind=tarfile.SYMTYPE, link='bin')
    add(t, 'pax/after', b'a')
sys.stdout.buffer.write(out.getvalue())
`;
  const py = await new Deno.Command("python3", { args: ["-c", script] }).output();
  assertEquals(py.code, 0, new TextDecoder().decode(py.stderr));
  const { walkTar } = await import("../lib/apk/tar.ts");
  const seen: [string, Record<string, number[]>][] = [];
  await walkTar(py.stdout, async (h, body) => {
    for await (const _ of body) { /* drain */ }
    const x = Object.fromEntries(
      Object.entries(h.xattrs ?? {}).map(([k, v]) => [k, Array.from(v)]),
    );
    seen.push([h.name.replace(/\/$/, ""), x]);
  });
  assertEquals(seen, [
    [`gnu/${"l".repeat(120)}`, {}],
    ["gnu/short", {}],
    ["pax/dir", { "user.d": [0xfe] }],
    ["pax/plain", {}],
    ["pax/bin", { "user.a": [0xff, 0x00, 0x80], "user.b": [0x6f, 0x6b] }],
    [`pax/${"n".repeat(150)}`, { "security.capability": [1, 0, 0, 2, 0x80] }],
    ["pax/link", {}],
    ["pax/after", {}],
  ]);
});

Deno.test("install: a package from a local repository whose data part is not the one its .PKGINFO names is refused", () =>
  withTempDir(async (dir) => {
    const { gzip } = await import("../lib/apk/gzip.ts");
    const good = await handMadeApk("swapped", "1-r0", [entry("etc/motd", {}, "hello\n")]);
    const data = (await readApk(good, new Map(), { allowUntrusted: true, source: "x" })).data;
    // The same control member, then another (valid) data part.
    const other = gzip(await writeTar([entry("etc/motd", {}, "not what was signed\n")]));
    const swapped = Buffer.concat([good.subarray(0, good.length - data.length), other]);
    const spec = await repoWith(dir, "swapped", swapped);
    const err = await assertRejects(async () =>
      installEnvironment(await resolveEnvironment(spec), join(dir, "root"), spec)
    );
    assertStringIncludes(err.message, "installing swapped-1-r0");
    assertStringIncludes(err.message, "does not match the datahash");
  }));
