/** Indexes and signatures against real Alpine, Wolfi and apko data, and our own written back. */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { readFileSync, writeFileSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import {
  emptyPackage,
  formatIndex,
  formatIndexEntry,
  parseIndex,
  readIndexArchive,
  writeIndexArchive,
} from "../lib/apk/index.ts";
import { fixtureKeyring } from "./support/apk.ts";
import { haveShared, sharedPath } from "./shared.ts";
import { withTempDir } from "./support/tmp.ts";

const shared = { ignore: !haveShared };
const fixture = (...p: string[]) => readFileSync(sharedPath("fixtures", ...p));

function testKey(name = "test.rsa") {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  return { key: { name, pem: privateKey }, keyring: new Map([[`${name}.pub`, publicKey]]) };
}

Deno.test({
  name: "index: both 4,929-entry Alpine indexes parse, with every field",
  ...shared,
  fn: async () => {
    for (const release of ["alpine-316", "alpine-317"]) {
      const pkgs = await readIndexArchive(
        fixture("alpine", release, "APKINDEX.tar.gz"),
        new Map(),
        {
          allowUntrusted: true,
          source: release,
        },
      );
      if (release === "alpine-316") assertEquals(pkgs.length, 4929);
      assert(pkgs.length > 4000, `${release}: ${pkgs.length}`);
      const arch = pkgs[0].arch;
      for (const p of pkgs) {
        assert(
          p.name && p.version && p.arch === arch && p.checksum?.startsWith("Q1"),
          `${p.name} ${p.arch}`,
        );
      }
      const zsh = pkgs.find((p) => p.name === "git-zsh-completion");
      if (zsh) {
        assertEquals(zsh.origin, "zsh");
        assertEquals(zsh.installIf, [`zsh=${zsh.version}`, "git"]);
      }
    }
  },
});

Deno.test({
  name:
    "index: Alpine's index is refused with the wrong key, naming the key, and read when untrusted",
  ...shared,
  fn: async () => {
    const keyring = fixtureKeyring(
      "alpine/alpine-316/alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub",
    );
    const bytes = fixture("alpine", "alpine-316", "APKINDEX.tar.gz");
    const err = await assertRejects(() =>
      readIndexArchive(bytes, keyring, { source: "alpine-316" })
    );
    assertStringIncludes(err.message, "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub");
    assertStringIncludes(err.message, "not in the keyring");
    // The wrong key under the right name: a signature that does not verify.
    const misnamed = new Map([[
      "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub",
      [...keyring.values()][0],
    ]]);
    const bad = await assertRejects(() =>
      readIndexArchive(bytes, misnamed, { source: "alpine-316" })
    );
    assertStringIncludes(bad.message, "does not verify");
    assertEquals(
      (await readIndexArchive(bytes, keyring, { source: "x", allowUntrusted: true })).length,
      4929,
    );
  },
});

Deno.test({
  name:
    "index: apko-testrepo (RSA over SHA-256) and the rsa256-signed index verify with their keys",
  ...shared,
  fn: async () => {
    for (const arch of ["x86_64", "aarch64"]) {
      const pkgs = await readIndexArchive(
        fixture("apko-testrepo", arch, "APKINDEX.tar.gz"),
        fixtureKeyring("apko-testrepo/melange.rsa.pub"),
        { source: arch },
      );
      assertEquals(pkgs.map((p) => p.name).sort(), [
        "custom-ca-certs-1",
        "custom-ca-certs-2",
        "pretend-baselayout",
        "replayout",
      ]);
    }
    const rsa256 = await readIndexArchive(
      fixture("alpine", "rsa256-signed", "APKINDEX.tar.gz"),
      fixtureKeyring("alpine/rsa256-signed/test-rsa256.rsa.pub"),
      { source: "rsa256" },
    );
    assert(rsa256.length >= 1);
  },
});

Deno.test("index: text round-trips field for field", () => {
  const p = {
    ...emptyPackage("hello", "1.0-r0", "x86_64"),
    checksum: "Q1abc=",
    size: 10,
    installedSize: 20,
    description: "hi",
    url: "https://example.com",
    license: "MIT",
    origin: "hello",
    maintainer: "me",
    buildTime: 5,
    commit: "abc",
    providerPriority: 10,
    depends: ["so:libc.so.6", "busybox"],
    provides: ["cmd:hello=1.0-r0"],
    installIf: ["a", "b=1"],
    replaces: ["old"],
    replacesPriority: 3,
  };
  const text = formatIndex([p, { ...emptyPackage("b", "2", "noarch"), buildTime: 0, commit: "" }]);
  // apk-tools' apk_pkg_write_index_header: t: and c: only when set, r: and q: never (they are
  // installed-database fields).
  assertEquals(
    text,
    "C:Q1abc=\nP:hello\nV:1.0-r0\nA:x86_64\nS:10\nI:20\nT:hi\nU:https://example.com\nL:MIT\n" +
      "o:hello\nm:me\nt:5\nc:abc\nk:10\nD:so:libc.so.6 busybox\np:cmd:hello=1.0-r0\ni:a b=1\n\n" +
      "P:b\nV:2\nA:noarch\nS:0\nI:0\nT:\nU:\nL:\n\n",
  );
  const { replaces: _r, replacesPriority: _q, ...indexed } = p;
  assertEquals(parseIndex(text), [{ ...indexed, replaces: [] }, emptyPackage("b", "2", "noarch")]);
  assertEquals(formatIndex(parseIndex(text)), text);
  assertEquals(
    formatIndexEntry(p, { installed: true }).slice(-2),
    ["r:old", "q:3"],
    "the installed database keeps them",
  );
});

Deno.test("index: a signed index we write is read by python's tarfile and verified by openssl", () =>
  withTempDir(async (dir) => {
    const { key, keyring } = testKey();
    const pkgs = [{ ...emptyPackage("a", "1-r0", "x86_64"), checksum: "Q1x=" }];
    const bytes = await writeIndexArchive(pkgs, { signingKey: key });
    assertEquals(await writeIndexArchive(pkgs, { signingKey: key }), bytes, "deterministic");
    assertEquals(await readIndexArchive(bytes, keyring, { source: "ours" }), pkgs);
    writeFileSync(`${dir}/APKINDEX.tar.gz`, bytes);
    writeFileSync(`${dir}/key.pub`, keyring.get("test.rsa.pub")!);
    const script = `
import gzip, io, sys, tarfile, zlib
data = open(sys.argv[1], 'rb').read()
d = zlib.decompressobj(31); sig_tar = d.decompress(data); body = d.unused_data
sig = tarfile.open(fileobj=io.BytesIO(sig_tar + b'\\0' * 1024))
m = sig.getmembers()[0]
open(sys.argv[2] + '/sig', 'wb').write(sig.extractfile(m).read())
open(sys.argv[2] + '/body.gz', 'wb').write(body)
t = tarfile.open(fileobj=io.BytesIO(gzip.decompress(body)))
print(m.name); print(t.extractfile('APKINDEX').read().decode().splitlines()[1])
`;
    const py = await new Deno.Command("python3", {
      args: ["-c", script, `${dir}/APKINDEX.tar.gz`, dir],
    }).output();
    assertEquals(py.code, 0, new TextDecoder().decode(py.stderr));
    assertEquals(new TextDecoder().decode(py.stdout), ".SIGN.RSA256.test.rsa.pub\nP:a\n");
    const ssl = await new Deno.Command("openssl", {
      args: [
        "dgst",
        "-sha256",
        "-verify",
        `${dir}/key.pub`,
        "-signature",
        `${dir}/sig`,
        `${dir}/body.gz`,
      ],
    }).output();
    assertEquals(new TextDecoder().decode(ssl.stdout).trim(), "Verified OK");
  }));

Deno.test("index: corrupt, truncated and unsigned archives get clear errors", async () => {
  const { key, keyring } = testKey();
  const good = await writeIndexArchive([emptyPackage("a", "1", "x86_64")], { signingKey: key });
  const cases: [Uint8Array, string][] = [
    [new TextEncoder().encode("not gzip at all"), "not a gzip stream"],
    [good.subarray(0, good.length - 20), "truncated"],
    [await writeIndexArchive([emptyPackage("a", "1", "x86_64")]), "unsigned"],
  ];
  const flipped = good.slice();
  flipped[flipped.length - 30] ^= 0xff;
  cases.push([flipped, "APKINDEX.tar.gz"]);
  for (const [bytes, want] of cases) {
    const err = await assertRejects(() =>
      readIndexArchive(bytes, keyring, { source: "APKINDEX.tar.gz" })
    );
    assertStringIncludes(err.message, want);
    assertStringIncludes(err.message, "APKINDEX.tar.gz");
  }
});
