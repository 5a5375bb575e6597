/**
 * melange's package linters (pkg/linter/linters of melange v0.59.1): each
 * looks at a package's files and reports what a distribution does not want
 * in it. Names, default behaviour (required, warning, off), explanations and
 * messages are melange's, so its `--lint-require`/`--lint-warn` lists and
 * `checks.disabled` entries mean the same here.
 */

/** One file (or directory, link...) of a package, path relative to its root. */
export interface LintFile {
  /** `/`-separated, no leading `/` or `./` (`usr/bin/hello`). */
  path: string;
  kind: "file" | "directory" | "symlink" | "link" | "other";
  /** Permission bits with setuid, setgid and sticky. */
  mode: number;
  size: number;
  /** The contents of a regular file. */
  read(): Uint8Array;
}

/** What a linter sees: the package's name and files, and the uses: of its test pipeline. */
export interface LintTarget {
  pkgname: string;
  files: LintFile[];
  /** `uses:` of the package's test steps; undefined when there is no build file (lint of an .apk). */
  testUses?: string[];
}

/** A linter's finding: a message, the itemized lines shown under it, and melange's JSON details. */
export interface Finding {
  message: string;
  items?: string[];
  details?: unknown;
}

/** What happens when a linter finds something, unless the user says otherwise. */
export type Behavior = "require" | "warn" | "ignore";

/** A linter as melange defines it. */
export interface Linter {
  explain: string;
  behavior: Behavior;
  check(target: LintTarget): Finding | undefined;
}

const plural = (n: number, one: string, many: string) => (n > 1 ? many : one);
const ext = (path: string) => {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot >= 0 ? base.slice(dot) : "";
};
const notDir = (f: LintFile) => f.kind !== "directory";
const compat = (name: string) => name.endsWith("-compat");

/** Files matching `pred`; a finding with `message(paths)` when there are any. */
function allPaths(
  t: LintTarget,
  pred: (f: LintFile) => boolean,
  message: (paths: string[]) => string,
): Finding | undefined {
  const paths = t.files.filter(pred).map((f) => f.path);
  return paths.length ? { message: message(paths), items: paths, details: { paths } } : undefined;
}

/** A linter that flags non-directories under `prefix`. */
function under(prefix: string, message: (pkg: string) => string, skip = (_: string) => false) {
  return (t: LintTarget) =>
    skip(t.pkgname) ? undefined : allPaths(
      t,
      (f) => notDir(f) && f.path.startsWith(prefix),
      () => message(t.pkgname),
    );
}

const INFO =
  /^usr\/(?:local\/)?share\/info\/(?:dir|[^/]+\.info(?:-[0-9]+)?(?:\.(?:gz|bz2|xz|lzma|Z))?)$/;
const MAN =
  /^usr\/(?:local\/)?share\/man(?:\/man[0-9][^/]*)?(?:\/[^/]+\.[0-9][^/]*(?:\.(?:gz|bz2|xz|lzma|Z))?)?$|^usr\/man(?:\/man[0-9][^/]*)?(?:\/[^/]+\.[0-9][^/]*(?:\.(?:gz|bz2|xz|lzma|Z))?)?$/;
const DOC = /(?:READ(?:\.?ME)?|TODO|CREDITS|\.(?:md|docx?|rst|[0-9][a-z]))$/;
const OBJECT_EXT = /\.(a|so|dylib)(\..*)?/;
const TEMP = /^(var\/)?tmp\//;
const PKGCONF = /^usr\/(lib|share)\/pkgconfig\//;
const SBOM_DIR = "var/lib/db/sbom/";

/** melange's octal mode text: permission bits plus setuid/setgid/sticky, no leading zero. */
function octal(mode: number): string {
  return (mode & 0o7777).toString(8);
}

/** Names of an ELF file's sections; undefined when it is not a readable ELF file. */
export function elfSectionNames(b: Uint8Array): string[] | undefined {
  if (b.length < 52 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) {
    return undefined;
  }
  try {
    const is64 = b[4] === 2;
    const le = b[5] === 1;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const addr = (o: number) => (is64 ? Number(dv.getBigUint64(o, le)) : dv.getUint32(o, le));
    const shoff = addr(is64 ? 0x28 : 0x20);
    const shentsize = dv.getUint16(is64 ? 0x3a : 0x2e, le);
    const shnum = dv.getUint16(is64 ? 0x3c : 0x30, le);
    const shstrndx = dv.getUint16(is64 ? 0x3e : 0x32, le);
    if (!shoff || shstrndx >= shnum) return [];
    const strtab = addr(shoff + shstrndx * shentsize + (is64 ? 0x18 : 0x10));
    const names: string[] = [];
    for (let i = 0; i < shnum; i++) {
      let o = strtab + dv.getUint32(shoff + i * shentsize, le);
      const start = o;
      while (o < b.length && b[o] !== 0) o++;
      names.push(new TextDecoder().decode(b.subarray(start, o)));
    }
    return names;
  } catch {
    return undefined;
  }
}

function unstripped(t: LintTarget): Finding | undefined {
  const bins: string[] = [];
  for (const f of t.files) {
    if (f.path.startsWith(SBOM_DIR) || f.kind !== "file" || f.size < 4) continue;
    if ((f.mode & 0o111) === 0 && !OBJECT_EXT.test(ext(f.path))) continue;
    const sections = elfSectionNames(f.read());
    if (sections?.includes(".debug") || sections?.includes(".zdebug")) bins.push(f.path);
  }
  if (!bins.length) return undefined;
  return {
    message: `${t.pkgname} contains ${bins.length} unstripped ${
      plural(bins.length, "binary", "binaries")
    }`,
    items: bins,
    details: { binaries: bins },
  };
}

function specialPermissions(t: LintTarget): Finding | undefined {
  const items: string[] = [];
  const files: { path: string; mode: string; permissions: string[] }[] = [];
  for (const f of t.files) {
    if (f.kind !== "file" || (f.mode & 0o7000) === 0) continue;
    const parts = [
      f.mode & 0o4000 ? "setuid" : "",
      f.mode & 0o2000 ? "setgid" : "",
      f.mode & 0o1000 ? "sticky" : "",
    ].filter(Boolean);
    items.push(`${f.path} (mode: ${octal(f.mode)}, ${parts.join("+")})`);
    files.push({ path: f.path, mode: octal(f.mode), permissions: parts });
  }
  if (!items.length) return undefined;
  return {
    message: `${t.pkgname} contains ${items.length} ${
      plural(items.length, "file", "files")
    } with special permissions (setuid/setgid)`,
    items,
    details: { files },
  };
}

function worldWritable(t: LintTarget): Finding | undefined {
  const items: string[] = [];
  const files: { path: string; mode: string; permissions: string[] }[] = [];
  for (const f of t.files) {
    if (f.kind !== "file" || (f.mode & 0o002) === 0) continue;
    const perms = ["world-writable", ...(f.mode & 0o111 ? ["executable"] : [])];
    items.push(`${f.path} (mode: ${octal(f.mode)}) [${perms.join("+")}]`);
    files.push({ path: f.path, mode: octal(f.mode), permissions: perms });
  }
  if (!items.length) return undefined;
  return {
    message: `${t.pkgname} contains ${items.length} world-writeable ${
      plural(items.length, "file", "files")
    }`,
    items,
    details: { files },
  };
}

function tempDir(t: LintTarget): Finding | undefined {
  const snippet = t.files.some((f) => f.path.startsWith("usr/lib/tmpfiles.d/"));
  return allPaths(t, (f) => {
    if (notDir(f) && TEMP.test(f.path)) return true;
    if (f.path.startsWith("var/run/")) return true;
    if (f.path.startsWith("run/")) return notDir(f) || !snippet;
    return false;
  }, () => `${t.pkgname} writes to a temp dir`);
}

function usrMerge(t: LintTarget): Finding | undefined {
  const dirs = ["sbin", "bin", "usr/sbin", "lib", "lib64"];
  const paths = t.files.map((f) => f.path).filter((p) =>
    !p.startsWith(SBOM_DIR) && dirs.some((d) => p === d || p.startsWith(`${d}/`))
  );
  if (!paths.length) return undefined;
  return {
    message: ["Package contains paths in violation of usrmerge:", ...paths].join("\n"),
    details: { paths },
  };
}

function empty(t: LintTarget): Finding | undefined {
  const found = t.files.some((f) => notDir(f) && !f.path.startsWith(SBOM_DIR));
  return found ? undefined : { message: "package is empty but no-provides is not set" };
}

function pkgconf(t: LintTarget): Finding | undefined {
  if (t.testUses?.includes("test/pkgconf")) return undefined;
  return allPaths(
    t,
    (f) => notDir(f) && PKGCONF.test(f.path),
    () =>
      t.testUses === undefined
        ? `${t.pkgname} contains pkgconfig files but missing .melange.yaml`
        : `${t.pkgname} contains pkgconfig files but test/pkgconf is not configured`,
  );
}

function counted(
  pred: (f: LintTarget["files"][number]) => boolean,
  text: (pkg: string, n: number) => string,
  skip = (_: string) => false,
) {
  return (t: LintTarget) =>
    skip(t.pkgname)
      ? undefined
      : allPaths(t, (f) => notDir(f) && pred(f), (paths) => text(t.pkgname, paths.length));
}

const COMPAT = "This package should be a -compat package";

/** Every linter melange v0.59.1 has that melange2 implements, by melange's name. */
export const LINTERS: Record<string, Linter> = {
  dev: {
    explain:
      "If this package is creating /dev nodes, it should use udev instead; otherwise, remove any files in /dev",
    behavior: "require",
    check: under("dev/", (p) => `${p} writes to /dev`),
  },
  documentation: {
    explain: "Place documentation into a separate package or remove it",
    behavior: "ignore",
    check: counted(
      (f) => DOC.test(f.path),
      (p, n) =>
        `${p} contains ${n} documentation ${
          plural(n, "file", "files")
        } but is not a documentation package`,
      (p) => p.endsWith("-doc"),
    ),
  },
  opt: {
    explain: COMPAT,
    behavior: "warn",
    check: under("opt/", (p) => `${p} writes to /opt`, compat),
  },
  object: {
    explain: "This package contains intermediate object files (.o files)",
    behavior: "warn",
    check: counted(
      (f) => ext(f.path) === ".o",
      (p, n) =>
        `${p} contains ${n} intermediate object ${
          plural(n, "file", "files")
        }. This is usually wrong. In most cases they should be removed`,
    ),
  },
  maninfo: {
    explain: "Place documentation into a separate package or remove it",
    behavior: "warn",
    check: counted(
      (f) => MAN.test(f.path) || INFO.test(f.path),
      (p, n) =>
        `${p} contains ${n} man/info ${
          plural(n, "file", "files")
        } but is not a documentation package`,
      (p) => p.endsWith("-doc"),
    ),
  },
  sbom: {
    explain: "Remove any files in /var/lib/db/sbom from the package",
    behavior: "warn",
    check: (t) =>
      allPaths(
        t,
        (f) =>
          notDir(f) && f.path.startsWith(SBOM_DIR) &&
          !f.path.slice(SBOM_DIR.length).includes("/") &&
          !f.path.endsWith(".spdx.json"),
        () => `${t.pkgname} writes to var/lib/db/sbom`,
      ),
  },
  setuidgid: {
    explain: "Unset the setuid/setgid bit on the relevant files, or remove this linter",
    behavior: "require",
    check: specialPermissions,
  },
  srv: {
    explain: COMPAT,
    behavior: "warn",
    check: under("srv/", (p) => `${p} writes to /srv`, compat),
  },
  tempdir: {
    explain:
      "Remove any offending files in temporary dirs in the pipeline, or add a /usr/lib/tmpfiles.d/ snippet in the case of dirs under /run/",
    behavior: "require",
    check: tempDir,
  },
  usrlocal: {
    explain: COMPAT,
    behavior: "warn",
    check: under(
      "usr/local/",
      (p) => `${p} contains /usr/local path in non-compat package`,
      compat,
    ),
  },
  varempty: {
    explain: "Remove any offending files in /var/empty in the pipeline",
    behavior: "require",
    check: under("var/empty/", (p) => `${p} writes to /var/empty`),
  },
  worldwrite: {
    explain:
      "Change the permissions of any permissive files in the package, disable the linter, or make this a -compat package",
    behavior: "require",
    check: worldWritable,
  },
  strip: {
    explain: "Properly strip all binaries in the pipeline",
    behavior: "warn",
    check: unstripped,
  },
  infodir: {
    explain: "Remove /usr/share/info/dir from the package (run split/infodir)",
    behavior: "require",
    check: under("usr/share/info/dir/", (p) => `${p} writes to /usr/share/info/dir/`),
  },
  empty: {
    explain:
      "Verify that this package is supposed to be empty; if it is, disable this linter; otherwise check the build",
    behavior: "ignore",
    check: empty,
  },
  pkgconf: {
    explain:
      "This package provides files in a pkgconfig directory, please add the pkgconf test pipeline",
    behavior: "warn",
    check: pkgconf,
  },
  usrmerge: { explain: "Move binary to /usr/bin", behavior: "require", check: usrMerge },
  staticarchive: {
    explain: "This package contains static archives (.a files)",
    behavior: "warn",
    check: counted(
      (f) => ext(f.path) === ".a",
      (p, n) =>
        `${p} contains ${n} static ${
          plural(n, "archive", "archives")
        }. Static archives bloat packages and should typically be in -dev packages or removed`,
      (p) => p.endsWith("-dev") || p.endsWith("-static"),
    ),
  },
  "libtool/la-files": {
    explain:
      "Remove libtool archive (.la) files from the package, or disable this linter if they are required",
    behavior: "require",
    check: counted(
      (f) => ext(f.path) === ".la",
      (p, n) =>
        `${p} contains ${n} libtool archive (.la) ${
          plural(n, "file", "files")
        }. Remove them in the build pipeline; if this package legitimately needs to ship .la files, disable this linter via checks.disabled`,
    ),
  },
};

/** The linters that fail a build by default, sorted (melange's DefaultRequiredLinters). */
export function defaultRequired(): string[] {
  return Object.keys(LINTERS).filter((k) => LINTERS[k].behavior === "require").sort();
}

/** The linters that warn by default, sorted (melange's DefaultWarnLinters). */
export function defaultWarn(): string[] {
  return Object.keys(LINTERS).filter((k) => LINTERS[k].behavior === "warn").sort();
}

/** melange's linters melange2 does not have yet: accepted in lists, skipped with a note. */
export const NOT_IMPLEMENTED = [
  "binaryarch",
  "cudaruntimelib",
  "dll",
  "duplicate",
  "dylib",
  "lddcheck",
  "nonlinux",
  "python/docs",
  "python/multiple",
  "python/test",
  "unsupportedarch",
];
