/**
 * What a build or a test says at its end: the packages written with their
 * sizes and whether they and the index are signed; a pass or fail line per
 * tested package.
 */
import { statSync } from "node:fs";
import { basename, dirname } from "node:path";

/** Sizes as people read them (1,000-based, as `ls -h --si` and apk do). */
export function humanSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = bytes, u = -1;
  do {
    v /= 1000;
    u++;
  } while (v >= 1000 && u < units.length - 1);
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** The closing lines of a build: each architecture's packages, sizes, signatures. */
export function packagesReport(packages: Record<string, string[]>, signed: boolean): string {
  const lines: string[] = [];
  for (const files of Object.values(packages)) {
    if (!files.length) continue;
    const dir = dirname(files[0]);
    const index = signed ? "signed index" : "unsigned index";
    lines.push(`wrote ${files.length} package${files.length > 1 ? "s" : ""} to ${dir} (${index}):`);
    const width = Math.max(...files.map((f) => basename(f).length));
    for (const f of files) {
      const size = humanSize(statSync(f).size).padStart(8);
      lines.push(`  ${basename(f).padEnd(width)}  ${size}  ${signed ? "signed" : "unsigned"}`);
    }
  }
  return lines.join("\n");
}

/** One tested package's result. */
export interface TestResult {
  name: string;
  version: string;
  arch: string;
  seconds: number;
  error?: string;
}

/** The line a test prints for a package. */
export function testResultLine(r: TestResult): string {
  const head = `${r.error ? "FAIL" : "PASS"} ${r.name}-${r.version} (${r.arch}) ${
    r.seconds.toFixed(1)
  }s`;
  return r.error ? `${head}: ${r.error.split("\n")[0]}` : head;
}
