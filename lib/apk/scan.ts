/**
 * Re-running the dependency analysis on an existing .apk: its data part
 * becomes an in-memory tree, analyzed as a freshly built package would be,
 * and the result is set beside what its `.PKGINFO` records.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import {
  type AnalysisEntry,
  type AnalysisOptions,
  type AnalysisTree,
  analyze,
  mergeDependencies,
} from "./analyze.ts";
import { readApk, walkData } from "./archive.ts";
import type { PkgInfo } from "./pkginfo.ts";
import type { Keyring } from "./signature.ts";

/** The tree of a package's data part (a gzip tar), in memory. */
export async function treeOfData(data: Uint8Array): Promise<AnalysisTree> {
  const entries: AnalysisEntry[] = [];
  const files = new Map<string, Uint8Array>();
  const links = new Map<string, string>();
  await walkData(data, (h, content) => {
    const path = h.name.replace(/^\.\//, "").replace(/\/+$/, "");
    const kind =
      h.type === "file" || h.type === "directory" || h.type === "symlink" || h.type === "link"
        ? h.type
        : "other";
    entries.push({ path, kind, mode: h.mode & 0o7777, linkname: h.linkname });
    if (kind === "file") files.set(path, content);
    if (kind === "symlink") links.set(path, h.linkname ?? "");
    if (kind === "link" && h.linkname) links.set(path, `/${h.linkname}`);
  });
  const resolve = (path: string, hops = 0): string | undefined => {
    const target = links.get(path);
    if (target === undefined) return files.has(path) ? path : undefined;
    if (hops > 16) return undefined;
    const next = posix.normalize(
      target.startsWith("/") ? target.slice(1) : posix.join(posix.dirname(path), target),
    );
    return next.startsWith("..") ? undefined : resolve(next, hops + 1);
  };
  return {
    entries,
    read: (path) => {
      const real = resolve(path);
      return real ? files.get(real) : undefined;
    },
  };
}

/** What a scan found. */
export interface ScanResult {
  info: PkgInfo;
  /** Dependencies and provides the analysis finds, merged as melange merges them. */
  found: { runtime: string[]; provides: string[] };
  /** False when the data part does not match the datahash of `.PKGINFO`. */
  datahashMatches: boolean;
}

/** Analyzes a package file's contents again. */
export async function scanApk(
  bytes: Uint8Array,
  opts: {
    keyring?: Keyring;
    source: string;
    options?: AnalysisOptions;
    /** The build file's own dependencies, merged with what is found as a build merges them. */
    declared?: { runtime?: string[]; provides?: string[] };
  },
): Promise<ScanResult> {
  // Scanning reads what is there: a data part that no longer matches its
  // datahash (a trimmed test package, say) is still analyzed, and reported.
  const apk = await readApk(bytes, opts.keyring ?? new Map(), {
    allowUntrusted: true,
    source: opts.source,
    skipDatahash: true,
  });
  const tree = await treeOfData(apk.data);
  const generated = analyze({ name: apk.info.pkgname, version: apk.info.pkgver, tree });
  const merged = mergeDependencies(opts.declared ?? {}, generated, opts.options);
  const datahashMatches = !apk.info.datahash ||
    createHash("sha256").update(apk.data).digest("hex") === apk.info.datahash;
  return {
    info: apk.info,
    found: { runtime: merged.runtime, provides: merged.provides },
    datahashMatches,
  };
}

/** One line of a comparison: `=` in both, `+` only found, `-` only recorded. */
export interface ScanLine {
  field: "depend" | "provides";
  value: string;
  mark: "=" | "+" | "-";
}

/** Compares what was found with what `.PKGINFO` records. */
export function compareScan(r: ScanResult): ScanLine[] {
  const out: ScanLine[] = [];
  const pairs: ["depend" | "provides", string[], string[]][] = [
    ["depend", r.found.runtime, r.info.depend],
    ["provides", r.found.provides, r.info.provides],
  ];
  for (const [field, found, recorded] of pairs) {
    const all = [...new Set([...found, ...recorded])].sort();
    for (const value of all) {
      const f = found.includes(value);
      const rec = recorded.includes(value);
      out.push({ field, value, mark: f && rec ? "=" : f ? "+" : "-" });
    }
  }
  return out;
}
