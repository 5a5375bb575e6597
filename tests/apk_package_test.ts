/**
 * Packages we write, read back by independent tools (python's tarfile,
 * openssl) and by our own installer; the fixtures' real packages read and
 * verified; bad packages refused with clear errors.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { createHash, generateKeyPairSync } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { readApk } from "../lib/apk/archive.ts";
import { gzipMembers } from "../lib/apk/gzip.ts";
import { writePackage, writePackages } from "../lib/apk/package.ts";
import { installEnvironment, resolveEnvironment } from "../lib/apk/environment.ts";
import { runCli } from "./cli.ts";
import { withTempDir } from "./support/tmp.ts";
import { fixtureKeyring } from "./support/apk.ts";
import { haveShared, sharedPath } from "./shared.ts";

const shared = { ignore: !haveShared };

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  return {
    key: { name: "pkg.rsa", pem: privateKey },
    keyring: new Map([["pkg.rsa.pub", publicKey]]),
    publicKey,
  };
}

/** A small tree: an ELF binary, a script, a symlink, a hardlink, a .pc file, a directory. */
function makeTree(dir: string): void {
  mkdirSync(join(dir, "usr/bin"), { recursive: true });
  mkdirSync(join(dir, "usr/lib/pkgconfig"), { recursive: true });
  mkdirSync(join(dir, "usr/share/empty"), { recursive: true });
  copyFileSync("/bin/ls", join(dir, "usr/bin/ls"));
  writeFileSync(join(dir, "usr/bin/tool"), "#!/usr/bin/env bash\necho tool\n");
  chmodSync(join(dir, "usr/bin/tool"), 0o755);
  symlinkSync("ls", join(dir, "usr/bin/dir"));
  writeFileSync(
    join(dir, "usr/lib/pkgconfig/demo.pc"),
    "Name: demo\nVersion: 1.0\nRequires: zlib >= 1.2\n",
  );
  Deno.linkSync(join(dir, "usr/bin/tool"), join(dir, "usr/bin/tool2"));
  utimesSync(join(dir, "usr/bin/tool"), 2_000_000_000, 2_000_000_000);
}

const spec = {
  name: "demo",
  version: "1.0-r0",
  epoch: 0,
  arch: "x86_64",
  description: "a demo",
  license: "MIT",
  url: "https://example.com",
  commit: "abc123",
  dependencies: { runtime: ["busybox"], provides: [], replaces: ["old-demo"], providerPriority: 5 },
};

Deno.test("package: the same tree gives the same bytes; .PKGINFO, analysis and SBOM are as melange writes them", () =>
  withTempDir(async (dir) => {
    makeTree(join(dir, "t"));
    const { key, keyring } = keyPair();
    const a = await writePackage(join(dir, "t"), spec, {
      sourceDateEpoch: 1_700_000_000,
      signingKey: key,
    });
    const b = await writePackage(join(dir, "t"), spec, {
      sourceDateEpoch: 1_700_000_000,
      signingKey: key,
    });
    assertEquals(a.bytes, b.bytes);
    const read = await readApk(a.bytes, keyring, { source: "demo" });
    assertEquals(read.verifiedBy?.algorithm, "sha256");
    assertEquals(read.checksum, a.info.checksum);
    const p = read.info;
    assertEquals([p.pkgname, p.pkgver, p.arch, p.origin, p.license, p.commit], [
      "demo",
      "1.0-r0",
      "x86_64",
      "demo",
      "MIT",
      "abc123",
    ]);
    assertEquals(p.builddate, 1_700_000_000);
    assertEquals(p.providerPriority, 5);
    assertEquals(p.replaces, ["old-demo"]);
    for (const d of ["busybox", "cmd:bash", "pc:zlib", "so:libc.so.6"]) {
      assert(p.depend.includes(d), `${d} in ${p.depend}`);
    }
    for (const d of ["cmd:ls=1.0-r0", "cmd:tool=1.0-r0", "pc:demo=1.0-r0"]) {
      assert(p.provides.includes(d), `${d} in ${p.provides}`);
    }
  }));

Deno.test("package: python's tarfile reads it: sorted entries, PAX SHA-1 per file, modes, links, clamped mtimes, SBOM", () =>
  withTempDir(async (dir) => {
    makeTree(join(dir, "t"));
    const { key } = keyPair();
    const w = await writePackage(join(dir, "t"), spec, {
      sourceDateEpoch: 1_700_000_000,
      signingKey: key,
    });
    writeFileSync(join(dir, "demo.apk"), w.bytes);
    const script = `
import hashlib, json, sys, tarfile
t = tarfile.open(sys.argv[1], 'r:gz')
out = []
for m in t.getmembers():
    rec = {'name': m.name, 'type': m.type.decode(), 'mode': m.mode, 'mtime': m.mtime, 'link': m.linkname}
    if m.isfile() and not m.name.startswith('.'):
        data = t.extractfile(m).read()
        rec['ok'] = m.pax_headers.get('APK-TOOLS.checksum.SHA1') == hashlib.sha1(data).hexdigest()
        if m.name.endswith('.spdx.json'):
            rec['sbom'] = sorted(f['fileName'] for f in json.loads(data)['files'])
    out.append(rec)
print(json.dumps(out))
`;
    const py = await new Deno.Command("python3", { args: ["-c", script, join(dir, "demo.apk")] })
      .output();
    assertEquals(py.code, 0, new TextDecoder().decode(py.stderr));
    const entries = JSON.parse(new TextDecoder().decode(py.stdout));
    const names = entries.map((e: { name: string }) => e.name);
    assertEquals(names.slice(0, 2), [".SIGN.RSA256.pkg.rsa.pub", ".PKGINFO"]);
    const data = names.slice(2);
    assertEquals(data, [
      "usr",
      "usr/bin",
      "usr/bin/dir",
      "usr/bin/ls",
      "usr/bin/tool",
      "usr/bin/tool2",
      "usr/lib",
      "usr/lib/pkgconfig",
      "usr/lib/pkgconfig/demo.pc",
      "usr/share",
      "usr/share/empty",
      "var",
      "var/lib",
      "var/lib/db",
      "var/lib/db/sbom",
      "var/lib/db/sbom/demo-1.0-r0.spdx.json",
    ]);
    const by = (n: string) => entries.find((e: { name: string }) => e.name === n);
    assertEquals(by("usr/bin/dir").type, "2");
    assertEquals(by("usr/bin/dir").link, "ls");
    assertEquals(by("usr/bin/tool2").type, "1", "hardlink");
    assertEquals(by("usr/bin/tool").mode, 0o755);
    assertEquals(by("usr/bin/tool").mtime, 1_700_000_000, "clamped to SOURCE_DATE_EPOCH");
    for (const e of entries) if ("ok" in e) assert(e.ok, `checksum of ${e.name}`);
    assertEquals(by("var/lib/db/sbom/demo-1.0-r0.spdx.json").sbom, [
      "./usr/bin/ls",
      "./usr/bin/tool",
      "./usr/lib/pkgconfig/demo.pc",
    ]);
  }));

Deno.test("package: openssl verifies the RSA/SHA-256 signature, and SHA-1 signatures on request", () =>
  withTempDir(async (dir) => {
    makeTree(join(dir, "t"));
    const { key, keyring, publicKey } = keyPair();
    writeFileSync(join(dir, "key.pub"), publicKey);
    for (const [algorithm, flag] of [["sha256", "-sha256"], ["sha1", "-sha1"]] as const) {
      const w = await writePackage(join(dir, "t"), spec, {
        sourceDateEpoch: 0,
        signingKey: key,
        algorithm,
      });
      const members = gzipMembers(w.bytes, 2);
      const sigTar = members[0].data;
      const size = parseInt(new TextDecoder().decode(sigTar.subarray(124, 136)), 8);
      writeFileSync(join(dir, "sig"), sigTar.subarray(512, 512 + size));
      writeFileSync(join(dir, "control.gz"), members[1].raw);
      const ssl = await new Deno.Command("openssl", {
        args: [
          "dgst",
          flag,
          "-verify",
          join(dir, "key.pub"),
          "-signature",
          join(dir, "sig"),
          join(dir, "control.gz"),
        ],
      }).output();
      assertEquals(new TextDecoder().decode(ssl.stdout).trim(), "Verified OK", algorithm);
      assertEquals(
        (await readApk(w.bytes, keyring, { source: "x" })).verifiedBy?.algorithm,
        algorithm,
      );
    }
  }));

Deno.test("package: corrupt, truncated, wrongly signed and tampered packages are refused clearly", () =>
  withTempDir(async (dir) => {
    makeTree(join(dir, "t"));
    const { key, keyring } = keyPair();
    const other = keyPair();
    const good =
      (await writePackage(join(dir, "t"), spec, { sourceDateEpoch: 0, signingKey: key })).bytes;
    const tampered = good.slice();
    tampered[tampered.length - 40] ^= 0x55;
    const cases: [Uint8Array, Map<string, string>, string][] = [
      [new TextEncoder().encode("garbage"), keyring, "not a gzip stream"],
      [good.subarray(0, good.length - 100), keyring, "truncated"],
      [good, new Map([["pkg.rsa.pub", other.keyring.get("pkg.rsa.pub")!]]), "does not verify"],
      [
        good,
        other.keyring.set("x", "y") && new Map([["other.rsa.pub", "x"]]),
        "pkg.rsa.pub, which is not in the keyring",
      ],
      [tampered, keyring, "demo.apk"],
    ];
    for (const [bytes, ring, want] of cases) {
      const err = await assertRejects(() => readApk(bytes, ring, { source: "demo.apk" }));
      assertStringIncludes(err.message, want);
      assertStringIncludes(err.message, "demo.apk");
    }
  }));

Deno.test("package: subpackages are written concurrently and each is analyzed against its relatives", () =>
  withTempDir(async (dir) => {
    mkdirSync(join(dir, "main/usr/lib"), { recursive: true });
    mkdirSync(join(dir, "dev/usr/lib"), { recursive: true });
    // A real shared library from the machine, and a -dev symlink to it from the subpackage.
    const libc = ["/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1"].find(
      (p) => {
        try {
          return Deno.statSync(p).isFile;
        } catch {
          return false;
        }
      },
    );
    if (!libc) return; // no libz on this machine: nothing to analyze
    copyFileSync(libc, join(dir, "main/usr/lib/libz.so.1.2.13"));
    symlinkSync("libz.so.1.2.13", join(dir, "dev/usr/lib/libz.so"));
    const made = await writePackages([
      { dir: join(dir, "main"), spec: { ...spec, name: "zz" } },
      { dir: join(dir, "dev"), spec: { ...spec, name: "zz-dev" } },
    ], { sourceDateEpoch: 0 });
    assert(made[0].pkginfo.provides.includes("so:libz.so.1=1"), made[0].pkginfo.provides.join(" "));
    assert(made[1].pkginfo.depend.includes("so:libz.so.1"), made[1].pkginfo.depend.join(" "));
  }));

Deno.test({
  name: "package: every fixture package is read, and verified where its key is there",
  ...shared,
  fn: async () => {
    const wolfi = sharedPath("fixtures", "wolfi");
    for (const f of readdirSync(wolfi).filter((f) => f.endsWith(".apk"))) {
      const bytes = readFileSync(join(wolfi, f));
      const apk = await readApk(bytes, new Map(), {
        allowUntrusted: true,
        skipDatahash: true,
        source: f,
      });
      assert(apk.info.pkgname, f);
    }
    const wolfiBase = await readApk(
      readFileSync(join(wolfi, "test.apk")),
      fixtureKeyring("wolfi/wolfi-signing.rsa.pub"),
      {
        source: "test.apk",
      },
    );
    assertEquals(wolfiBase.verifiedBy?.keyName, "wolfi-signing.rsa.pub");
    const hello = readFileSync(join(wolfi, "hello-wolfi-2.12.1-r1.apk"));
    const err = await assertRejects(() => readApk(hello, new Map(), { source: "hello" }));
    assertStringIncludes(err.message, "local-melange.rsa.pub");
    for (const arch of ["x86_64", "aarch64"]) {
      const dir = sharedPath("fixtures", "apko-testrepo", arch);
      for (const f of readdirSync(dir).filter((f) => f.endsWith(".apk"))) {
        const apk = await readApk(
          readFileSync(join(dir, f)),
          fixtureKeyring("apko-testrepo/melange.rsa.pub"),
          { source: f },
        );
        assertEquals(apk.verifiedBy?.algorithm, "sha256", f);
      }
    }
  },
});

Deno.test("cli: keygen, index --signing-key, sign and sign-index make a repository our installer accepts", () =>
  withTempDir(async (dir) => {
    makeTree(join(dir, "t"));
    const ok = async (args: string[]) => {
      const r = await runCli(args, { cwd: dir });
      assertEquals(r.code, 0, r.stderr);
      return r;
    };
    await ok(["keygen", "repo.rsa", "--key-size", "2048"]);
    const gen = await runCli(["keygen", "repo.rsa"], { cwd: dir });
    assertEquals(gen.code, 1);
    assertStringIncludes(gen.stderr, "already exists");
    mkdirSync(join(dir, "repo/x86_64"), { recursive: true });
    const unsigned = await writePackage(join(dir, "t"), {
      ...spec,
      dependencies: {},
      options: { noDepends: true },
    }, {
      sourceDateEpoch: 0,
    });
    writeFileSync(join(dir, "repo/x86_64/demo-1.0-r0.apk"), unsigned.bytes);
    await ok(["sign", "--signing-key", "repo.rsa", "repo/x86_64/demo-1.0-r0.apk"]);
    await ok(["index", "-o", "repo/x86_64/APKINDEX.tar.gz", "repo/x86_64/demo-1.0-r0.apk"]);
    await ok(["sign-index", "--signing-key", "repo.rsa", "repo/x86_64/APKINDEX.tar.gz"]);
    const env = {
      repositories: [join(dir, "repo")],
      keyring: [join(dir, "repo.rsa.pub")],
      packages: ["demo"],
      arch: "x86_64",
    };
    const resolved = await resolveEnvironment(env);
    await installEnvironment(resolved, join(dir, "root"), env);
    assertEquals(
      readFileSync(join(dir, "root/usr/bin/tool"), "utf8"),
      "#!/usr/bin/env bash\necho tool\n",
    );
    // --merge keeps what the index had.
    const again = await writePackage(join(dir, "t"), {
      ...spec,
      name: "demo2",
      dependencies: {},
      options: { noDepends: true },
    }, {
      sourceDateEpoch: 0,
    });
    writeFileSync(join(dir, "repo/x86_64/demo2-1.0-r0.apk"), again.bytes);
    await ok([
      "index",
      "--merge",
      "--signing-key",
      "repo.rsa",
      "-o",
      "repo/x86_64/APKINDEX.tar.gz",
      "repo/x86_64/demo2-1.0-r0.apk",
    ]);
    const r = await ok([
      "env",
      "resolve",
      "-r",
      join(dir, "repo"),
      "-k",
      join(dir, "repo.rsa.pub"),
      "--arch",
      "x86_64",
      "--no-cache",
      "demo",
      "demo2",
    ]);
    assertEquals(r.stdout, "demo-1.0-r0\ndemo2-1.0-r0\n");
  }));

Deno.test("package: every symlink carries the SHA-1 of its target as melange writes it, hardlinks the SHA-1 of their contents", () =>
  withTempDir(async (dir) => {
    const t = join(dir, "t");
    makeTree(t);
    mkdirSync(join(t, "bin"), { recursive: true });
    const targets: Record<string, string> = {
      "bin/sh": "/usr/bin/busybox",
      "bin/ls": "../usr/bin/ls",
      "bin/dangling": "nowhere/at/all",
      "bin/share": "/usr/share",
      "bin/ünïcode": "zielé",
    };
    for (const [name, target] of Object.entries(targets)) symlinkSync(target, join(t, name));
    const w = await writePackage(t, spec, { sourceDateEpoch: 0 });
    writeFileSync(join(dir, "demo.apk"), w.bytes);
    const script = `
import hashlib, json, sys, tarfile
t = tarfile.open(sys.argv[1], 'r:gz')
out = {}
for m in t.getmembers():
    out[m.name] = {'type': m.type.decode(), 'link': m.linkname,
                   'sha1': m.pax_headers.get('APK-TOOLS.checksum.SHA1')}
print(json.dumps(out))
`;
    const py = await new Deno.Command("python3", { args: ["-c", script, join(dir, "demo.apk")] })
      .output();
    assertEquals(py.code, 0, new TextDecoder().decode(py.stderr));
    const entries: Record<string, { type: string; link: string; sha1?: string }> = JSON.parse(
      new TextDecoder().decode(py.stdout),
    );
    const sha1 = (s: string | Uint8Array) => createHash("sha1").update(s).digest("hex");
    const symlinks = Object.entries(entries).filter(([, e]) => e.type === "2");
    assertEquals(symlinks.map(([n]) => n).sort(), [...Object.keys(targets), "usr/bin/dir"].sort());
    for (const [name, e] of symlinks) {
      assertEquals(e.sha1, sha1(e.link), `${name} -> ${e.link}`);
    }
    assertEquals(entries["bin/ünïcode"].sha1, sha1(new TextEncoder().encode("zielé")));
    assertEquals(entries["usr/bin/tool2"].type, "1");
    assertEquals(entries["usr/bin/tool2"].sha1, sha1(readFileSync(join(t, "usr/bin/tool"))));
    for (const [name, e] of Object.entries(entries)) {
      if (e.type === "5") assertEquals(e.sha1, null, `${name}: directories have no checksum`);
    }
  }));

Deno.test("package: .PKGINFO, the control member and the installed size are as melange v0.59.1 writes them", () =>
  withTempDir(async (dir) => {
    const t = join(dir, "t");
    makeTree(t);
    const full = {
      ...spec,
      licenses: ["MIT", "Apache-2.0"],
      license: "MIT AND Apache-2.0",
      namespace: "wolfi",
      melangeYaml: "package:\n  name: demo\n",
      dependencies: { ...spec.dependencies, replacesPriority: 7 },
      scriptlets: {
        "post-install": "#!/bin/sh\necho hi\n",
        trigger: { paths: ["/usr/lib", "/x"] },
      },
    };
    const w = await writePackage(t, full, { sourceDateEpoch: 1_700_000_000 });
    const read = await readApk(w.bytes, new Map(), { allowUntrusted: true, source: "demo" });
    const text = new TextDecoder().decode(
      read.control.find((e) => e.header.name === ".PKGINFO")!.data,
    );
    const lines = text.split("\n");
    const fields = lines.filter((l) => l && !l.startsWith("#")).map((l) => l.split(" = ")[0]);
    // melange's template order, with every line it writes.
    const order = [
      "pkgname",
      "pkgver",
      "arch",
      "size",
      "origin",
      "pkgdesc",
      "url",
      "commit",
      "maintainer",
      "builddate",
      "license",
      "depend",
      "provides",
      "replaces",
      "provider_priority",
      "replaces_priority",
      "triggers",
      "datahash",
    ];
    assertEquals([...new Set(fields)], order);
    for (
      const l of [
        "maintainer = wolfi",
        "license = MIT",
        "license = Apache-2.0",
        "commit = abc123",
        "url = https://example.com",
        "replaces_priority = 7",
        "triggers = /usr/lib /x ",
        "builddate = 1700000000",
      ]
    ) assert(lines.includes(l), `${l} in\n${text}`);
    // Installed size: the root and every entry as a walk reports them (a hardlink's name counts
    // its file's size again, a symlink its target's length), directories one ext4 block each.
    const py = await new Deno.Command("python3", {
      args: [
        "-c",
        `import sys, tarfile
t = tarfile.open(sys.argv[1], 'r:gz')
n = 4096
for m in t.getmembers():
    if m.name.startswith('.'): continue
    n += 4096 if m.isdir() else len(m.linkname.encode()) if m.issym() else m.size
    if m.islnk(): n += t.getmember(m.linkname).size
print(n)`,
        await tmpFile(dir, "x.apk", w.bytes),
      ],
    }).output();
    assertEquals(read.info.size, Number(new TextDecoder().decode(py.stdout)));
    assertEquals(read.info.maintainer, "wolfi");
    assertEquals(w.info.maintainer, "wolfi");
    assertEquals(w.info.license, "MIT");
    // The control member: .PKGINFO, .melange.yaml, then the scriptlets, owned by root.
    const control = await new Deno.Command("python3", {
      args: [
        "-c",
        `import sys, tarfile, json
t = tarfile.open(sys.argv[1], 'r:gz')
print(json.dumps([[m.name, m.uname, m.gname, m.mode, m.mtime] for m in t.getmembers()][:4]))`,
        join(dir, "x.apk"),
      ],
    }).output();
    assertEquals(JSON.parse(new TextDecoder().decode(control.stdout)), [
      [".PKGINFO", "root", "root", 0o644, 1_700_000_000],
      [".melange.yaml", "root", "root", 0o644, 1_700_000_000],
      [".post-install", "root", "root", 0o755, 1_700_000_000],
      ["usr", "", "", 0o755, 1_700_000_000],
    ]);
    assertEquals(
      new TextDecoder().decode(read.control.find((e) => e.header.name === ".melange.yaml")!.data),
      "package:\n  name: demo\n",
    );
    // Without a namespace, commit or build date, melange leaves maintainer and builddate out
    // and writes commit empty.
    const bare = await writePackage(t, { ...spec, commit: undefined }, { sourceDateEpoch: 0 });
    const bareText = new TextDecoder().decode(
      (await readApk(bare.bytes, new Map(), { allowUntrusted: true, source: "bare" })).control[0]
        .data,
    );
    assert(bareText.includes("\ncommit = \n"), bareText);
    assert(!bareText.includes("maintainer"), bareText);
    assert(!bareText.includes("builddate"), bareText);
  }));

async function tmpFile(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  await Deno.writeFile(join(dir, name), bytes);
  return join(dir, name);
}

Deno.test({
  name: "package: xattr values that are not UTF-8 are written byte for byte, long names too",
  ignore: Deno.build.os !== "linux",
  fn: () =>
    withTempDir(async (dir) => {
      const { writeXattrs } = await import("../lib/buildkit/xattr.ts");
      const t = join(dir, "t");
      const deep = `usr/share/${"d".repeat(90)}/${"e".repeat(60)}`;
      mkdirSync(join(t, deep), { recursive: true });
      writeFileSync(join(t, deep, "file"), "x");
      writeFileSync(join(t, "usr/short"), "y");
      const binary = new Uint8Array([0xff, 0x00, 0x80, 0x0a, 0x3d, 0xc3]);
      writeXattrs(join(t, deep, "file"), { "user.bin": binary, "user.txt": Buffer.from("ok") });
      writeXattrs(join(t, "usr/short"), { "user.bin": binary.subarray(0, 3) });
      const w = await writePackage(t, { ...spec, name: "x" }, { sourceDateEpoch: 0 });
      writeFileSync(join(dir, "x.apk"), w.bytes);
      const py = await new Deno.Command("python3", {
        args: [
          "-c",
          `import json, sys, tarfile
t = tarfile.open(sys.argv[1], 'r:gz')
print(json.dumps({m.name: {k: v.encode('utf-8', 'surrogateescape').hex()
      for k, v in m.pax_headers.items() if k.startswith('SCHILY')} for m in t if m.isfile()}))`,
          join(dir, "x.apk"),
        ],
      }).output();
      assertEquals(py.code, 0, new TextDecoder().decode(py.stderr));
      const got = JSON.parse(new TextDecoder().decode(py.stdout));
      assertEquals(got[`${deep}/file`], {
        "SCHILY.xattr.user.bin": "ff00800a3dc3",
        "SCHILY.xattr.user.txt": "6f6b",
      });
      assertEquals(got["usr/short"], { "SCHILY.xattr.user.bin": "ff0080" });
      // And our reader gets the same bytes back.
      const { streamData } = await import("../lib/apk/archive.ts");
      const read = await readApk(w.bytes, new Map(), { allowUntrusted: true, source: "x" });
      const seen: Record<string, Uint8Array | undefined> = {};
      await streamData(read.data, async (h, body) => {
        for await (const _ of body) { /* drain */ }
        if (h.type === "file") seen[h.name] = h.xattrs?.["user.bin"];
      });
      assertEquals(Array.from(seen[`${deep}/file`] ?? []), Array.from(binary));
      assertEquals(Array.from(seen["usr/short"] ?? []), Array.from(binary.subarray(0, 3)));
    }),
});
