/** melange's linters: each one's findings on small trees, and `melange2 lint` on packages. */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runCli } from "./cli.ts";
import { withTempDir } from "./support/tmp.ts";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  defaultRequired,
  defaultWarn,
  elfSectionNames,
  LINTERS,
  type LintFile,
} from "../lib/lint/linters.ts";
import { lintPackage } from "../lib/lint/run.ts";
import { writePackage } from "../lib/apk/package.ts";

/** A file entry: `path` with `mode` (a trailing `/` makes a directory). */
function f(path: string, mode = 0o644, content: Uint8Array = new Uint8Array(8)): LintFile {
  const dir = path.endsWith("/");
  return {
    path: path.replace(/\/$/, ""),
    kind: dir ? "directory" : "file",
    mode,
    size: content.length,
    read: () => content,
  };
}

/** What `name` finds in a package `pkgname` of `files` (undefined: nothing). */
function finds(name: string, files: LintFile[], pkgname = "pkg", testUses: string[] = []) {
  return LINTERS[name].check({ pkgname, files, testUses });
}

/** A minimal ELF64 file whose section names are `names`. */
function elfWith(names: string[]): Uint8Array {
  const strtab = "\0" + [...names, ".shstrtab"].join("\0") + "\0";
  const count = names.length + 2; // null section, the named ones, .shstrtab
  const b = new Uint8Array(64 + 64 * count + strtab.length);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setBigUint64(0x28, 64n, true); // e_shoff
  dv.setUint16(0x3a, 64, true); // e_shentsize
  dv.setUint16(0x3c, count, true); // e_shnum
  dv.setUint16(0x3e, count - 1, true); // e_shstrndx
  let nameOff = 1;
  for (let i = 1; i < count; i++) {
    dv.setUint32(64 + 64 * i, nameOff, true);
    nameOff += (i <= names.length ? names[i - 1] : ".shstrtab").length + 1;
  }
  const strOff = 64 + 64 * count;
  dv.setBigUint64(64 + 64 * (count - 1) + 0x18, BigInt(strOff), true);
  dv.setBigUint64(64 + 64 * (count - 1) + 0x20, BigInt(strtab.length), true);
  b.set(new TextEncoder().encode(strtab), strOff);
  return b;
}

Deno.test("lint: melange's default lists", () => {
  assertEquals(defaultRequired(), [
    "dev",
    "infodir",
    "libtool/la-files",
    "setuidgid",
    "tempdir",
    "usrmerge",
    "varempty",
    "worldwrite",
  ]);
  assertEquals(defaultWarn(), [
    "maninfo",
    "object",
    "opt",
    "pkgconf",
    "sbom",
    "srv",
    "staticarchive",
    "strip",
    "usrlocal",
  ]);
});

Deno.test("lint: path linters flag files (not directories) where melange does", () => {
  assertEquals(finds("dev", [f("dev/"), f("dev/null")])?.message, "pkg writes to /dev");
  assertEquals(finds("dev", [f("dev/")]), undefined);
  assertEquals(finds("varempty", [f("var/empty/x")])?.message, "pkg writes to /var/empty");
  assertEquals(finds("srv", [f("srv/www/index.html")])?.items, ["srv/www/index.html"]);
  assertEquals(finds("srv", [f("srv/www/index.html")], "web-compat"), undefined);
  assertEquals(finds("opt", [f("opt/x/bin")])?.message, "pkg writes to /opt");
  assertEquals(
    finds("usrlocal", [f("usr/local/bin/x")])?.message,
    "pkg contains /usr/local path in non-compat package",
  );
  assertEquals(finds("usrlocal", [f("usr/local/bin/x")], "pkg-compat"), undefined);
  assertEquals(
    finds("infodir", [f("usr/share/info/dir/x")])?.message,
    "pkg writes to /usr/share/info/dir/",
  );
  assertEquals(
    finds("libtool/la-files", [f("usr/lib/libx.la"), f("usr/lib/liby.la")])?.message,
    "pkg contains 2 libtool archive (.la) files. Remove them in the build pipeline; if this " +
      "package legitimately needs to ship .la files, disable this linter via checks.disabled",
  );
  assertEquals(finds("staticarchive", [f("usr/lib/libx.a")], "pkg-dev"), undefined);
  assert(finds("staticarchive", [f("usr/lib/libx.a")]));
  assertEquals(finds("object", [f("usr/lib/x.o")])?.items, ["usr/lib/x.o"]);
  assert(finds("maninfo", [f("usr/share/man/man1/x.1.gz")]));
  assertEquals(finds("maninfo", [f("usr/share/man/man1/x.1.gz")], "pkg-doc"), undefined);
  assertEquals(finds("sbom", [f("var/lib/db/sbom/pkg-1.0-r0.spdx.json")]), undefined);
  assert(finds("sbom", [f("var/lib/db/sbom/extra.txt")]));
  assertEquals(
    finds("empty", [f("usr/"), f("var/lib/db/sbom/x.spdx.json")])?.message,
    "package is empty but no-provides is not set",
  );
});

Deno.test("lint: tempdir, usrmerge and pkgconf as melange decides them", () => {
  assertEquals(finds("tempdir", [f("tmp/"), f("var/tmp/")]), undefined);
  assertEquals(finds("tempdir", [f("tmp/x")])?.message, "pkg writes to a temp dir");
  assert(finds("tempdir", [f("var/run/app/")]), "anything under var/run");
  assertEquals(finds("tempdir", [f("run/app/")])?.items, ["run/app"]);
  assertEquals(finds("tempdir", [f("run/app/"), f("usr/lib/tmpfiles.d/app.conf")]), undefined);
  assert(finds("tempdir", [f("run/app/pid"), f("usr/lib/tmpfiles.d/app.conf")]));

  const merged = finds("usrmerge", [f("bin/"), f("bin/sh", 0o755), f("usr/bin/ls", 0o755)]);
  assertEquals(merged?.message, "Package contains paths in violation of usrmerge:\nbin\nbin/sh");
  assertEquals(finds("usrmerge", [f("usr/bin/ls", 0o755), f("usr/lib/x.so")]), undefined);

  const pc = [f("usr/lib/pkgconfig/x.pc")];
  assertEquals(
    finds("pkgconf", pc)?.message,
    "pkg contains pkgconfig files but test/pkgconf is not configured",
  );
  assertEquals(finds("pkgconf", pc, "pkg", ["test/pkgconf"]), undefined);
  assertEquals(
    LINTERS.pkgconf.check({ pkgname: "pkg", files: pc })?.message,
    "pkg contains pkgconfig files but missing .melange.yaml",
  );
});

Deno.test("lint: modes (worldwrite, setuidgid) and debug sections (strip)", () => {
  const ww = finds("worldwrite", [f("usr/bin/x", 0o777), f("etc/x", 0o666), f("tmp/", 0o1777)]);
  assertEquals(ww?.message, "pkg contains 2 world-writeable files");
  assertEquals(ww?.items, [
    "usr/bin/x (mode: 777) [world-writable+executable]",
    "etc/x (mode: 666) [world-writable]",
  ]);
  const su = finds("setuidgid", [f("usr/bin/su", 0o4755), f("usr/bin/ls", 0o755)]);
  assertEquals(su?.message, "pkg contains 1 file with special permissions (setuid/setgid)");
  assertEquals(su?.items, ["usr/bin/su (mode: 4755, setuid)"]);

  assertEquals(elfSectionNames(elfWith([".text", ".debug"])), ["", ".text", ".debug", ".shstrtab"]);
  assertEquals(elfSectionNames(new TextEncoder().encode("#!/bin/sh\necho hi\n")), undefined);
  const debug = f("usr/bin/a", 0o755, elfWith([".text", ".debug"]));
  const stripped = f("usr/bin/b", 0o755, elfWith([".text"]));
  // melange looks at the last extension: libx.so is a library, libx.so.1 (mode 644) is not.
  const lib = f("usr/lib/libx.so", 0o644, elfWith([".zdebug"]));
  const versioned = f("usr/lib/libx.so.1", 0o644, elfWith([".debug"]));
  const data = f("usr/share/x.bin", 0o644, elfWith([".debug"])); // neither executable nor a library
  assertEquals(finds("strip", [debug, stripped, lib, versioned, data])?.items, [
    "usr/bin/a",
    "usr/lib/libx.so",
  ]);
});

Deno.test("lint: checks.disabled turns a required linter into a warning", () => {
  const lines: string[] = [];
  const target = { pkgname: "pkg", files: [f("usr/bin/x", 0o777), f("srv/x")] };
  const strict = lintPackage(
    target,
    { require: ["worldwrite"], warn: ["srv"] },
    "pkg-1-r0",
    () => {},
  );
  assertEquals(strict.failed, ["worldwrite"]);
  const relaxed = lintPackage(
    target,
    { require: ["worldwrite"], warn: ["srv"], disabled: ["worldwrite"] },
    "pkg-1-r0",
    (l) => lines.push(l),
  );
  assertEquals(relaxed.failed, []);
  assertEquals(Object.keys(relaxed.findings).sort(), ["srv", "worldwrite"]);
  assertStringIncludes(
    lines.join("\n"),
    "[worldwrite] pkg contains 1 world-writeable file (warning)",
  );
});

Deno.test("lint command: required linters fail, warnings do not, results kept as JSON", () =>
  withTempDir(async (dir) => {
    mkdirSync(join(dir, "t/usr/bin"), { recursive: true });
    mkdirSync(join(dir, "t/srv"), { recursive: true });
    writeFileSync(join(dir, "t/usr/bin/open"), "#!/bin/sh\n");
    chmodSync(join(dir, "t/usr/bin/open"), 0o777);
    writeFileSync(join(dir, "t/srv/data"), "x");
    const apk = await writePackage(join(dir, "t"), {
      name: "loose",
      version: "1.0-r0",
      epoch: 0,
      arch: "x86_64",
      description: "loose permissions",
      dependencies: {},
      options: { noDepends: true },
    }, { sourceDateEpoch: 0 });
    writeFileSync(join(dir, "loose.apk"), apk.bytes);

    const failed = await runCli(["lint", "loose.apk"], { cwd: dir });
    assertEquals(failed.code, 1);
    assertStringIncludes(failed.stderr, "[srv] loose writes to /srv (warning)");
    assertStringIncludes(failed.stderr, "[worldwrite] loose contains 1 world-writeable file\n");
    assertStringIncludes(
      failed.stderr,
      "    - usr/bin/open (mode: 777) [world-writable+executable]",
    );
    assertStringIncludes(
      failed.stderr,
      "error: linting loose-1.0-r0: required linter failed: worldwrite",
    );

    const warned = await runCli([
      "lint",
      "loose.apk",
      "--lint-require",
      "dev,tempdir",
      "--lint-warn",
      "worldwrite",
      "--persist-lint-results",
      "--out-dir",
      "out",
    ], { cwd: dir });
    assertEquals(warned.code, 0, warned.stderr);
    const saved = JSON.parse(readFileSync(join(dir, "out/x86_64/lint-loose-1.0-r0.json"), "utf8"));
    assertEquals(saved.package_name, "loose-1.0-r0");
    assertEquals(Object.keys(saved.findings), ["worldwrite"]);
    assertEquals(saved.findings.worldwrite[0].details.files[0].mode, "777");

    const unknown = await runCli(["lint", "loose.apk", "--lint-require", "nosuch"], { cwd: dir });
    assertStringIncludes(unknown.stderr, "error: unknown linter: nosuch (known: ");
    const later = await runCli(["lint", "loose.apk", "--lint-require", "lddcheck"], { cwd: dir });
    assertEquals(later.code, 0, later.stderr);
    assertStringIncludes(later.stderr, "lint: not implemented in melange2, skipped: lddcheck");
  }));
