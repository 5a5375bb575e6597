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
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { installEnvironment, resolveEnvironment } from "../lib/apk/environment.ts";
import { emptyPackage, writeIndexArchive } from "../lib/apk/index.ts";
import { formatInstalledDb, parseInstalledDb } from "../lib/apk/installed.ts";
import { apkFromTar, entry, handMadeApk } from "./support/apk.ts";
import { writeTar } from "../lib/apk/tar.ts";
import { withTempDir } from "./support/tmp.ts";
import { haveShared, repoPath, sharedPath } from "./shared.ts";
import { Buffer } from "node:buffer";
import { readApk } from "../lib/apk/archive.ts";

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
  const info = await readApk(apk, new Map(), { allowUntrusted: true, source: name });
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

Deno.test({
  name: "install: a 1 GiB file from a small package installs in a process that stays under 200 MB",
  ignore: Deno.build.os !== "linux",
  fn: () =>
    withTempDir(async (dir) => {
      const GiB = 1 << 30;
      // The data part, streamed by python from zeros: about a megabyte compressed.
      const py = await new Deno.Command("python3", {
        args: [
          "-c",
          `import gzip, hashlib, io, sys, tarfile
size = ${GiB}
zero = bytes(1 << 20)
h = hashlib.sha1()
for _ in range(size >> 20): h.update(zero)
class Zeros(io.RawIOBase):
    def __init__(self): self.left = size
    def readable(self): return True
    def readinto(self, b):
        n = min(len(b), self.left); b[:n] = bytes(n); self.left -= n; return n
with gzip.open(sys.argv[1], 'wb', compresslevel=1) as gz:
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
      assert(data.length < 8 << 20, `the package is small (${data.length} bytes)`);
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
            size: GiB,
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
      const spec = await repoWith(dir, "zeros", apk);
      const child = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          repoPath("tests", "support", "install_child.ts"),
          JSON.stringify(spec),
          join(dir, "root"),
        ],
      }).output();
      assertEquals(child.code, 0, new TextDecoder().decode(child.stderr));
      const peakKb = Number(new TextDecoder().decode(child.stdout).trim());
      assertEquals(lstatSync(join(dir, "root/usr/zeros")).size, GiB);
      const db = parseInstalledDb(readFileSync(join(dir, "root/lib/apk/db/installed"), "utf8"));
      const file = db.find((p) => p.pkg.name === "zeros")!.dirs.find((d) => d.name === "usr")!
        .files[0];
      assertEquals(file.checksum, "Q1" + Buffer.from(sha1hex, "hex").toString("base64"));
      console.log(`peak RSS of the installing process: ${Math.round(peakKb / 1024)} MB`);
      assert(peakKb > 0 && peakKb < 200 * 1024, `peak RSS ${peakKb} kB`);
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
