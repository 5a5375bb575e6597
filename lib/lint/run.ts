/**
 * Running melange's linters on a package: from a built tree (after every
 * build) or from an .apk (`melange2 lint`). Warning linters are reported;
 * required ones fail. Results can be kept as melange keeps them
 * (`<out>/<arch>/lint-<name>-<version>.json`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readApk, walkData } from "../apk/archive.ts";
import { walkTree } from "../apk/tree.ts";
import { UserError } from "../errors.ts";
import { LINTERS, type LintFile, type LintTarget, NOT_IMPLEMENTED } from "./linters.ts";

/** Which linters fail the build and which only warn. */
export interface LintLists {
  require: string[];
  warn: string[];
  /** The package's `checks.disabled`: required ones among them only warn. */
  disabled?: string[];
}

/** One finding as melange's JSON results hold it. */
export interface LintFinding {
  message: string;
  explain?: string;
  details?: unknown;
}

/** A package's lint results. */
export interface LintReport {
  /** `name-version-rN`, or the name when the version is unknown. */
  packageName: string;
  findings: Record<string, LintFinding[]>;
  /** Required linters that found something. */
  failed: string[];
}

/** Refuses names melange does not know (its checkLinters); returns those melange2 lacks. */
export function checkLinterNames(names: string[]): string[] {
  const unknown = names.filter((n) => !(n in LINTERS) && !NOT_IMPLEMENTED.includes(n));
  if (unknown.length) {
    throw new UserError(
      `unknown ${unknown.length > 1 ? "linters" : "linter"}: ${unknown.join(", ")} ` +
        `(known: ${Object.keys(LINTERS).sort().join(", ")})`,
    );
  }
  return [...new Set(names.filter((n) => NOT_IMPLEMENTED.includes(n)))];
}

/**
 * Lints `target`: warning linters, then required ones (each reported once,
 * as melange orders them). `log` gets the report lines.
 */
export function lintPackage(
  target: LintTarget,
  lists: LintLists,
  packageName: string,
  log: (line: string) => void,
): LintReport {
  const disabled = lists.disabled ?? [];
  const require = lists.require.filter((n) => !disabled.includes(n));
  const warn = [...new Set([...lists.warn, ...disabled])].filter((n) => !require.includes(n));
  const report: LintReport = { packageName, findings: {}, failed: [] };
  for (const [names, required] of [[warn, false], [require, true]] as const) {
    for (const name of names) {
      const linter = LINTERS[name];
      if (!linter) continue; // melange's, not implemented here: reported once by the caller
      const found = linter.check(target);
      if (!found) continue;
      const [first, ...rest] = found.message.split("\n");
      log(`[${name}] ${first}${required ? "" : " (warning)"}`);
      for (const line of rest.filter(Boolean)) log(`  ${line}`);
      log(`  → ${linter.explain}`);
      for (const item of found.items ?? []) log(`    - ${item}`);
      (report.findings[name] ??= []).push({
        message: first,
        explain: linter.explain,
        details: found.details,
      });
      if (required) report.failed.push(name);
    }
  }
  return report;
}

/** The error a failed lint gives, naming the linters and the ways out. */
export function lintFailure(report: LintReport): UserError {
  return new UserError(
    `linting ${report.packageName}: required ${
      report.failed.length > 1 ? "linters" : "linter"
    } failed: ${report.failed.join(", ")} (fix the package, or list the linter under ` +
      `checks.disabled or in --lint-warn)`,
  );
}

/** Writes `report` as melange does: `<dir>/lint-<name>-<version>-r<epoch>.json`, when it found anything. */
export function persistLintResults(dir: string, report: LintReport): string | undefined {
  if (!Object.keys(report.findings).length) return undefined;
  const file = join(dir, `lint-${report.packageName}.json`);
  const json = { package_name: report.packageName, findings: report.findings };
  writeFileSync(file, JSON.stringify(json, null, 2));
  return file;
}

/** The files of a built package's tree on disk. */
export function filesOfTree(root: string): LintFile[] {
  return walkTree(root).map((e) => ({
    path: e.path,
    kind: e.kind === "file" || e.kind === "directory" || e.kind === "symlink" || e.kind === "link"
      ? e.kind
      : "other",
    mode: e.stat.mode & 0o7777,
    size: e.stat.size,
    read: () => readFileSync(join(root, e.path)),
  }));
}

/** The name, version and files of an .apk. */
export async function filesOfApk(
  bytes: Uint8Array,
  source: string,
): Promise<{ name: string; version: string; arch: string; files: LintFile[] }> {
  const apk = await readApk(bytes, new Map(), { allowUntrusted: true, source });
  const files: LintFile[] = [];
  await walkData(apk.data, (h, content) => {
    const path = h.name.replace(/^\.\//, "").replace(/\/$/, "");
    if (!path || path.startsWith(".SIGN.") || path === ".PKGINFO") return;
    const kind = h.type === "file" || h.type === "directory" || h.type === "symlink" ||
        h.type === "link"
      ? h.type
      : "other";
    files.push({ path, kind, mode: h.mode & 0o7777, size: content.length, read: () => content });
  });
  return { name: apk.info.pkgname, version: apk.info.pkgver, arch: apk.info.arch, files };
}
