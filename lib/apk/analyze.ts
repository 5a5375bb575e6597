/**
 * Dependency analysis as melange does it (pkg/sca): what a package's files
 * need (`so:` libraries, interpreters, `cmd:` of shebangs, `pc:` modules,
 * language runtimes) and what they provide (`so:` sonames, `cmd:`
 * commands, `pc:` modules). Works on an abstract tree so the same code
 * analyzes a build's output directory and an existing .apk.
 */
import { posix } from "node:path";
import { readElf } from "./elf.ts";
import { parsePkgConfig } from "./pkgconfig.ts";
import { type ShlibContext, shlibVersion } from "./shlibver.ts";

/** A file in the tree being analyzed. */
export interface AnalysisEntry {
  path: string;
  kind: "file" | "directory" | "symlink" | "link" | "other";
  mode: number;
  linkname?: string;
}

/** A package's files as the analysis reads them. */
export interface AnalysisTree {
  entries: AnalysisEntry[];
  /** Contents of a regular file (symlinks already followed), or undefined. */
  read(path: string): Uint8Array | undefined;
  /** The first `n` bytes (cheaper than `read` for the many files that are not ELF). */
  head?(path: string, n: number): Uint8Array;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const headOf = (t: AnalysisTree, path: string, n: number) =>
  t.head ? t.head(path, n) : t.read(path)?.subarray(0, n) ?? new Uint8Array();

/** What the analysis found, before it is merged with the file's own dependencies. */
export interface Generated {
  runtime: string[];
  provides: string[];
  vendored: string[];
}

/** The package being analyzed. */
export interface AnalysisTarget {
  name: string;
  /** Full version, `1.2.3-r0`. */
  version: string;
  tree: AnalysisTree;
  /** Trees of the package and its subpackages, for symlinks between them (self included). */
  relatives?: AnalysisTree[];
  /** The file's explicit runtime dependencies (some generators defer to them). */
  explicitRuntime?: string[];
  /**
   * Set when `MELANGE_VERSIONED_SHLIB_DEPENDS` is: `so:` dependencies also get
   * `so-ver:` ones (lib/apk/shlibver.ts). Left out for `no-versioned-shlib-deps`.
   */
  shlibs?: ShlibContext;
}

const LIB_DIRS = ["lib/", "usr/lib/", "lib64/", "usr/lib64/"];
const BIN_DIRS = ["bin/", "sbin/", "usr/bin/", "usr/sbin/"];
const PC_DIRS = [
  "usr/local/lib/pkgconfig/",
  "usr/local/share/pkgconfig/",
  "usr/lib/pkgconfig/",
  "usr/lib64/pkgconfig/",
  "usr/share/pkgconfig/",
];

/** melange's isInDir: the file's directory is one of `dirs` (`x/...` = x or below). */
export function isInDir(path: string, dirs: string[]): boolean {
  const dir = posix.dirname(path);
  return dirs.some((d) => {
    if (d.endsWith("/...")) {
      const prefix = d.slice(0, -4);
      return dir === prefix || dir.startsWith(prefix + "/");
    }
    return dir === d || dir + "/" === d;
  });
}

/** The version melange gives a soname's provide: digits after `.so.`, else 0. */
export function sonameLibver(soname: string): string {
  const i = soname.indexOf(".so.");
  if (i < 0) return "0";
  const ver = soname.slice(i + 4).split(".so.")[0];
  return /^[0-9.]*$/.test(ver) ? ver : "0";
}

const SHEBANG_IGNORED = new Set(["python3", "python", "sh", "awk", "luajit"]);

/** The interpreter a script's `#!` line names, as melange reads it; "" when none. */
export function shebangOf(head: Uint8Array): string {
  const buf = head.subarray(0, 80);
  if (buf.length < 2 || buf[0] !== 0x23 || buf[1] !== 0x21) return "";
  let line = new TextDecoder().decode(buf.subarray(2));
  const nl = line.indexOf("\n");
  if (nl >= 0) line = line.slice(0, nl);
  const toks = line.split(/\s+/).filter(Boolean);
  if (!toks.length) return "";
  let bin = toks[0];
  if (bin === "/usr/bin/env") {
    if (toks.length === 2) bin = toks[1];
    else if (toks.length >= 3 && toks[1] === "-S" && !toks[2].startsWith("-")) bin = toks[2];
    else return ""; // melange warns and skips such lines
  }
  return SHEBANG_IGNORED.has(posix.basename(bin)) ? "" : bin;
}

/** Library directories named by `etc/ld.so.conf.d/*.conf` in the package and its relatives. */
function ldSoConfDirs(trees: AnalysisTree[]): string[] {
  const out: string[] = [];
  for (const t of trees) {
    for (const e of t.entries) {
      if (
        e.kind !== "file" || !e.path.startsWith("etc/ld.so.conf.d/") || !e.path.endsWith(".conf")
      ) continue;
      const text = new TextDecoder().decode(t.read(e.path) ?? new Uint8Array());
      for (const line of text.split("\n")) if (line.startsWith("/")) out.push(line.slice(1));
    }
  }
  return out;
}

/** Runs every generator melange runs, in its order; lists sorted and deduplicated. */
export function analyze(target: AnalysisTarget): Generated {
  const g: Generated = { runtime: [], provides: [], vendored: [] };
  const relatives = target.relatives ?? [target.tree];
  const libDirs = [...LIB_DIRS, ...ldSoConfDirs(relatives)];
  sharedObjects(target, relatives, libDirs, g);
  commands(target, g);
  docs(target, g);
  pkgConfig(target, g);
  perl(target, g);
  python(target, g);
  ruby(target, g);
  shebangs(target, g);
  const tidy = (l: string[]) => [...new Set(l)].sort(cmp);
  return { runtime: tidy(g.runtime), provides: tidy(g.provides), vendored: tidy(g.vendored) };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sharedObjects(
  t: AnalysisTarget,
  relatives: AnalysisTree[],
  libDirs: string[],
  g: Generated,
) {
  for (const e of t.tree.entries) {
    if (e.kind === "symlink" && e.path.includes(".so")) symlinkSoname(t, e, relatives, libDirs, g);
    if (e.kind !== "file" && e.kind !== "symlink") continue;
    const magic = headOf(t.tree, e.path, 4);
    if (!ELF_MAGIC.every((b, i) => magic[i] === b)) continue;
    const data = t.tree.read(e.path);
    const elf = data && readElf(data);
    if (!elf) continue;
    if (elf.interpreter) {
      g.runtime.push(`so:${posix.basename(elf.interpreter)}`.replace("so:ld-musl", "so:libc.musl"));
    }
    for (const lib of elf.needed) if (lib.includes(".so.")) needs(t, lib, g);
    const base = posix.basename(e.path);
    if (!elf.interpreter || base.includes(".so.") || base.endsWith(".so")) {
      for (const soname of elf.soname) {
        const into = isInDir(e.path, libDirs) ? g.provides : g.vendored;
        into.push(`so:${soname}=${sonameLibver(soname)}`, `so-ver:${soname}=${t.version}`);
      }
    }
  }
}

/** `so:lib`, and with versioned shlib dependencies on, `so-ver:lib>=version` when one is found. */
function needs(t: AnalysisTarget, lib: string, g: Generated) {
  g.runtime.push(`so:${lib}`);
  const version = t.shlibs ? shlibVersion(t.shlibs, lib, t.version) : "";
  if (version) g.runtime.push(`so-ver:${lib}>=${version}`);
}

/** A `.so` symlink makes the package depend on its target's soname (the target may be in a relative). */
function symlinkSoname(
  t: AnalysisTarget,
  e: AnalysisEntry,
  relatives: AnalysisTree[],
  libDirs: string[],
  g: Generated,
) {
  const real = posix.basename(e.linkname ?? "");
  for (const tree of relatives) {
    for (const dir of libDirs) {
      const path = posix.join(dir, real);
      const data = tree.read(path);
      if (!data) continue;
      for (const soname of readElf(data)?.soname ?? []) needs(t, soname, g);
      return;
    }
  }
}

function commands(t: AnalysisTarget, g: Generated) {
  for (const e of t.tree.entries) {
    if (e.kind === "file" && (e.mode & 0o555) === 0o555 && isInDir(e.path, BIN_DIRS)) {
      g.provides.push(`cmd:${posix.basename(e.path)}=${t.version}`);
    }
  }
}

function docs(t: AnalysisTarget, g: Generated) {
  if (!t.name.endsWith("-doc")) return;
  for (const e of t.tree.entries) {
    if (isInDir(e.path, ["usr/share/man"])) g.runtime.push("man-db");
    if (isInDir(e.path, ["usr/share/info"])) g.runtime.push("texinfo");
  }
}

function pkgConfig(t: AnalysisTarget, g: Generated) {
  for (const e of t.tree.entries) {
    if (!e.path.endsWith(".pc") || e.kind === "symlink") continue;
    const data = t.tree.read(e.path);
    const pc = data && parsePkgConfig(new TextDecoder().decode(data));
    if (!pc) continue;
    const name = posix.basename(e.path, ".pc");
    if (isInDir(e.path, PC_DIRS)) {
      g.provides.push(`pc:${name}=${t.version}`);
      for (const dep of pc.requires) g.runtime.push(`pc:${dep}`);
    } else {
      g.vendored.push(`pc:${name}=${t.version}`);
    }
  }
}

function perl(t: AnalysisTarget, g: Generated) {
  const hit = t.tree.entries.find((e) => /^(usr\/)?lib\/perl[0-9][^/]*\/[^/]*_perl$/.test(e.path));
  if (!hit) return;
  const version = hit.path.replace(/^usr\//, "").split("/")[1].slice(4);
  if (t.explicitRuntime?.includes("perl")) return;
  g.runtime.push(`perl~${version}`);
}

function python(t: AnalysisTarget, g: Generated) {
  let version = "";
  for (const e of t.tree.entries) {
    if (e.kind !== "directory" || posix.basename(e.path) !== "site-packages") continue;
    const parent = posix.basename(posix.dirname(e.path));
    if (parent.startsWith("python")) version = parent.slice(6);
  }
  if (!version || t.explicitRuntime?.some((d) => d.startsWith("python"))) return;
  g.runtime.push(`python-${version}-base`);
}

function ruby(t: AnalysisTarget, g: Generated) {
  // melange's glob is `[0-9]*.[0-9]*.[0.9]*/gems` (sic: the last class is 0, '.' or 9).
  const hit = t.tree.entries.find((e) =>
    /^(usr\/)?lib\/ruby\/gems\/[0-9][^/]*\.[0-9][^/]*\.[0.9][^/]*\/gems$/.test(e.path)
  );
  if (!hit) return;
  const mmm = posix.basename(posix.dirname(hit.path));
  const version = mmm.slice(0, mmm.length - posix.extname(mmm).length);
  if (!version) return;
  if (t.explicitRuntime?.some((d) => d.startsWith("ruby-") || d === "ruby")) return;
  g.runtime.push(`ruby-${version}`);
}

function shebangs(t: AnalysisTarget, g: Generated) {
  for (const e of t.tree.entries) {
    if (e.kind === "symlink" || e.kind === "directory") continue;
    if (!/^(usr\/bin|usr\/local\/bin|usr\/local\/sbin)\//.test(e.path)) continue;
    const bin = shebangOf(headOf(t.tree, e.path, 80));
    if (bin) g.runtime.push(`cmd:${posix.basename(bin)}`);
  }
}

/** Package options that limit the analysis. */
export interface AnalysisOptions {
  noProvides?: boolean;
  noDepends?: boolean;
  noCommands?: boolean;
  /** `no-versioned-shlib-deps`: no `so-ver:` dependencies even with the variable set. */
  noVersionedShlibDeps?: boolean;
}

/** The final dependencies: melange's merge of the file's own with what was generated. */
export function mergeDependencies(
  explicit: { runtime?: string[]; provides?: string[] },
  generated: Generated,
  opts: AnalysisOptions = {},
): { runtime: string[]; provides: string[]; vendored: string[] } {
  let { runtime, provides } = generated;
  if (opts.noCommands) {
    runtime = runtime.filter((d) => !d.startsWith("cmd:"));
    provides = provides.filter((d) => !d.startsWith("cmd:"));
  }
  if (opts.noDepends) runtime = [];
  if (opts.noProvides) provides = [];
  const tidy = (l: string[]) => [...new Set(l)].sort(cmp);
  const unvendored = withoutProvided(runtime, generated.vendored);
  const allProvides = tidy([...(explicit.provides ?? []), ...provides]);
  const allRuntime = withoutProvided(
    tidy([...(explicit.runtime ?? []), ...unvendored]),
    allProvides,
  );
  return { runtime: allRuntime, provides: allProvides, vendored: generated.vendored };
}

/**
 * melange's removeSelfProvidedDeps. Like it, a `so-ver:` dependency loses its
 * `>=version` on the way through, kept or not: .PKGINFO gets `so-ver:lib`.
 */
function withoutProvided(runtime: string[], provided: string[]): string[] {
  const names = new Set(provided.map((p) => p.split("=")[0]));
  return runtime.map((d) => d.startsWith("so-ver:") ? d.split(">=")[0] : d)
    .filter((d) => !names.has(d));
}
