/**
 * Our packages side by side with the Wolfi packages melange built
 * (../shared/fixtures/wolfi): the `.PKGINFO` fields they carry are ones we
 * write, in the same order; the PAX records of each kind of entry are the
 * ones melange's tarball writer gives it (the SHA-1 of a regular file, a
 * hardlink's contents and a symlink's target; the xattrs of files and
 * directories, bytes as they are). Both sides are read by python's tarfile.
 */
import { assert, assertEquals } from "./assert.ts";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writePackage } from "../lib/apk/package.ts";
import { withTempDir } from "./support/tmp.ts";
import { haveShared, sharedPath } from "./shared.ts";

const FIXTURES = [
  "aws-c-s3-0.4.9-r0",
  "hello-wolfi-2.12.1-r1",
  "ld-so-conf-d-test-1-r1",
  "libcap-2.69-r0",
  "neon-4604-r0",
  "ruby3.2-base64-0.2.0-r2",
  "shbang-test-1-r1",
];

/** melange v0.59.1's control template, field by field (`# vendored` is a comment line it writes). */
const TEMPLATE = [
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
  "# vendored",
  "provider_priority",
  "replaces_priority",
  "triggers",
  "datahash",
];

interface Member {
  name: string;
  type: string;
  linkname: string;
  /** PAX records, values as latin-1 text (bytes kept one for one). */
  pax: Record<string, string>;
  /** SHA-1 of the contents (regular files). */
  sha1?: string;
}

/** Every member of an .apk (all its gzip members as one tar), and the `.PKGINFO` text. */
async function members(file: string): Promise<{ members: Member[]; pkginfo: string }> {
  const script = `import sys, tarfile, json, hashlib
t = tarfile.open(sys.argv[1], 'r:gz', encoding='latin-1', errors='surrogateescape')
out, info = [], ''
for m in t:
    rec = {'name': m.name, 'type': m.type.decode(), 'linkname': m.linkname,
           'pax': {k: v.encode('latin-1', 'surrogateescape').decode('latin-1') for k, v in m.pax_headers.items()}}
    if m.isfile():
        data = t.extractfile(m).read()
        rec['sha1'] = hashlib.sha1(data).hexdigest()
        if m.name == '.PKGINFO': info = data.decode()
    out.append(rec)
print(json.dumps({'members': out, 'pkginfo': info}))`;
  const out = await new Deno.Command("python3", { args: ["-c", script, file] }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** The `.PKGINFO` fields in the order they first appear. */
function fieldOrder(text: string): string[] {
  const keys = text.split("\n").filter((l) => / = /.test(l) && !/^# Generated/.test(l))
    .map((l) => l.startsWith("# vendored") ? "# vendored" : l.split(" = ")[0]);
  return [...new Set(keys)];
}

/** The records melange's tarball writer gives a data entry: by kind, the checksum and xattrs. */
function expectedKeys(m: Member): string[] {
  const xattrs = Object.keys(m.pax).filter((k) => k.startsWith("SCHILY.xattr."));
  switch (m.type) {
    case "0":
      return ["APK-TOOLS.checksum.SHA1", ...xattrs].sort();
    case "1":
    case "2":
      return ["APK-TOOLS.checksum.SHA1"];
    case "5":
      return xattrs.sort();
    default:
      return [];
  }
}

/**
 * The data entries' PAX records as melange writes them: tar-stream, which
 * writes ours, also names every entry with a PAX header in `path` (and
 * `linkpath`) records, which must then say the entry's own name.
 */
function assertMelangeRecords(all: Member[], what: string): void {
  const data = all.filter((m) => !m.name.startsWith("."));
  const sha1 = new Map(data.filter((m) => m.sha1).map((m) => [m.name, m.sha1!]));
  for (const m of data) {
    const keys = Object.keys(m.pax).filter((k) => {
      if (k === "path") return assertEquals(m.pax.path, m.name), false;
      if (k === "linkpath") return assertEquals(m.pax.linkpath, m.linkname), false;
      return true;
    }).sort();
    assertEquals(keys, expectedKeys(m), `${what}: ${m.name} (type ${m.type})`);
    const sum = m.pax["APK-TOOLS.checksum.SHA1"];
    if (m.type === "0") assertEquals(sum, m.sha1, `${what}: ${m.name}`);
    if (m.type === "1") assertEquals(sum, sha1.get(m.linkname), `${what}: ${m.name}`);
    if (m.type === "2") {
      assertEquals(sum, createHash("sha1").update(m.linkname).digest("hex"), `${what}: ${m.name}`);
    }
  }
}

/** A shared object of this machine (an ELF with a SONAME) to vendor. */
function hostLibc(): string | undefined {
  return [
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib/aarch64-linux-gnu/libc.so.6",
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/usr/lib/aarch64-linux-gnu/libc.so.6",
    "/lib64/libc.so.6",
  ].find(existsSync);
}

Deno.test({
  name: "fidelity: the Wolfi packages melange built carry the PAX records its writer gives each " +
    "kind of entry, and .PKGINFO fields of its template in its order",
  ignore: !haveShared,
  fn: async () => {
    for (const f of FIXTURES) {
      const { members: all, pkginfo } = await members(sharedPath("fixtures", "wolfi", `${f}.apk`));
      assertMelangeRecords(all, f);
      const order = fieldOrder(pkginfo);
      assert(order.every((k) => TEMPLATE.includes(k)), `${f}: ${order}`);
      const positions = order.map((k) => TEMPLATE.indexOf(k));
      assertEquals(positions, [...positions].sort((a, b) => a - b), `${f}: ${order}`);
    }
  },
});

Deno.test({
  name: "fidelity: our packages have melange's PAX records per entry (checksums of files, " +
    "hardlinks and symlink targets, binary xattrs of files and directories) and every field " +
    "of its .PKGINFO template, `# vendored` included",
  ignore: !hostLibc(),
  fn: () =>
    withTempDir(async (dir) => {
      const t = join(dir, "t");
      mkdirSync(join(t, "usr/bin"), { recursive: true });
      mkdirSync(join(t, "opt/vendor"), { recursive: true });
      mkdirSync(join(t, "usr/share", "d".repeat(120)), { recursive: true });
      writeFileSync(join(t, "usr/bin/tool"), "#!/bin/sh\necho tool\n");
      linkSync(join(t, "usr/bin/tool"), join(t, "usr/bin/tool2"));
      symlinkSync("tool", join(t, "usr/bin/alias"));
      symlinkSync(`../share/${"t".repeat(110)}`, join(t, "usr/bin/far"));
      writeFileSync(join(t, "usr/share", "d".repeat(120), "caf\u00e9"), "long and not ASCII\n");
      // A shared object outside the library directories: vendored, as melange says.
      copyFileSync(hostLibc()!, join(t, "opt/vendor/libc.so.6"));
      const xattrs = new Map<string, Uint8Array>([
        ["usr/bin/tool", new Uint8Array([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0])],
        ["usr/bin", new TextEncoder().encode("dir")],
      ]);
      const { walkTree, withMetadata } = await import("../lib/apk/tree.ts");
      const metadata = new Map(
        withMetadata(walkTree(t), undefined).map((e) => [e.path, {
          uid: 0,
          gid: 0,
          mode: e.stat.mode & 0o7777,
          xattrs: Object.fromEntries(
            xattrs.has(e.path)
              ? [[e.path === "usr/bin" ? "user.d" : "security.capability", xattrs.get(e.path)!]]
              : [],
          ),
        }]),
      );
      const w = await writePackage(
        t,
        {
          name: "fid",
          version: "1.0-r0",
          epoch: 0,
          arch: "x86_64",
          description: "fidelity",
          url: "https://example.com/fid",
          commit: "0123abcd",
          licenses: ["MIT"],
          namespace: "wolfi",
          melangeYaml: "package:\n  name: fid\n",
          dependencies: {
            runtime: ["busybox"],
            provides: ["fid-bin=1.0-r0"],
            replaces: ["old-fid"],
            providerPriority: 5,
            replacesPriority: 3,
          },
          scriptlets: { trigger: { script: "#!/bin/sh\n", paths: ["/usr/lib"] } },
        },
        { sourceDateEpoch: 1_700_000_000 },
        undefined,
        metadata,
      );
      writeFileSync(join(dir, "fid.apk"), w.bytes);
      const { members: all, pkginfo } = await members(join(dir, "fid.apk"));
      assertMelangeRecords(all, "ours");
      const by = (n: string) => all.find((m) => m.name === n)!;
      // Binary xattr values as they are (latin-1 keeps each byte).
      assertEquals(
        by("usr/bin/tool").pax["SCHILY.xattr.security.capability"],
        String.fromCharCode(...xattrs.get("usr/bin/tool")!),
      );
      assertEquals(by("usr/bin").pax["SCHILY.xattr.user.d"], "dir");
      assertEquals(by("usr/bin/tool2").type, "1");
      assertEquals(fieldOrder(pkginfo), TEMPLATE);
      const lines = pkginfo.split("\n");
      for (
        const l of [
          "url = https://example.com/fid",
          "commit = 0123abcd",
          "maintainer = wolfi",
          "# vendored = so-ver:libc.so.6=1.0-r0",
          "# vendored = so:libc.so.6=6",
          "provider_priority = 5",
          "replaces_priority = 3",
        ]
      ) assert(lines.includes(l), `${l} in\n${pkginfo}`);
      // What a package vendors is no dependency of its own, and no provide either.
      assert(!lines.some((l) => /^provides = so:libc\.so\.6/.test(l)), pkginfo);
      assertEquals(w.pkginfo.vendored, ["so-ver:libc.so.6=1.0-r0", "so:libc.so.6=6"]);
      const controlNames = all.filter((m) => m.name.startsWith(".")).map((m) => m.name);
      assertEquals(controlNames, [".PKGINFO", ".melange.yaml", ".trigger"]);
    }),
});
