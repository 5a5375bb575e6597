/** The linters after a build: each package's tree, before anything is packaged. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { CompiledBuild, CompiledStep } from "../config/mod.ts";
import { defaultRequired, defaultWarn } from "./linters.ts";
import {
  checkLinterNames,
  filesOfTree,
  lintFailure,
  lintPackage,
  type LintReport,
  persistLintResults,
} from "./run.ts";

/** What {@link lintBuild} takes: melange's flags. */
export interface BuildLintOptions {
  /** Linters that fail the build (default: melange's required ones). */
  lintRequire?: string[];
  /** Linters that only warn (default: melange's warning ones). */
  lintWarn?: string[];
  /** Keep findings as JSON here (`<out>/<arch>`), as melange's --persist-lint-results. */
  persistDir?: string;
}

function uses(steps: CompiledStep[] | undefined): string[] {
  return (steps ?? []).flatMap((s) => [...(s.uses ? [s.uses] : []), ...uses(s.pipeline)]);
}

function disabledChecks(pkg: unknown): string[] {
  return (pkg as { checks?: { disabled?: string[] } }).checks?.disabled ?? [];
}

/**
 * Lints the package and each subpackage from `<staging>/<name>`; throws
 * naming the first package a required linter failed on, after reporting all.
 */
export function lintBuild(
  staging: string,
  compiled: CompiledBuild,
  opts: BuildLintOptions,
  log: (line: string) => void,
): LintReport[] {
  const require = opts.lintRequire ?? defaultRequired();
  const warn = opts.lintWarn ?? defaultWarn();
  const missing = checkLinterNames([...require, ...warn]);
  if (missing.length) log(`lint: not implemented in melange2, skipped: ${missing.join(", ")}`);
  const version = `${compiled.package.version}-r${compiled.package.epoch}`;
  const targets = [
    { pkg: compiled.package, test: compiled.test },
    ...compiled.subpackages.map((s) => ({ pkg: s, test: s.test })),
  ];
  const reports = targets.map(({ pkg, test }) =>
    lintPackage(
      {
        pkgname: pkg.name,
        files: filesOfTree(join(staging, pkg.name)),
        testUses: uses(test?.pipeline),
      },
      { require, warn, disabled: disabledChecks(pkg) },
      `${pkg.name}-${version}`,
      log,
    )
  );
  if (opts.persistDir) {
    mkdirSync(opts.persistDir, { recursive: true });
    for (const r of reports) {
      const file = persistLintResults(opts.persistDir, r);
      if (file) log(`saved lint results to ${file}`);
    }
  }
  const failed = reports.find((r) => r.failed.length);
  if (failed) throw lintFailure(failed);
  return reports;
}
