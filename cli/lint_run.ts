/** What `melange2 lint` runs, loaded when it runs (cli/lint.ts registers it). */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fsErrorText, UserError } from "../lib/errors.ts";
import { defaultRequired, defaultWarn } from "../lib/lint/linters.ts";
import {
  checkLinterNames,
  filesOfApk,
  lintFailure,
  lintPackage,
  persistLintResults,
} from "../lib/lint/run.ts";

/** `lint`: checks packages with the linters; required ones that fail make a user error. */
export async function lintCommand(files: string[], opts: Record<string, any>): Promise<void> {
  const require: string[] = opts.lintRequire ?? defaultRequired();
  const warn: string[] = opts.lintWarn ?? defaultWarn();
  const missing = checkLinterNames([...require, ...warn]);
  if (missing.length) {
    console.error(`lint: not implemented in melange2, skipped: ${missing.join(", ")}`);
  }
  const failures: string[] = [];
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new UserError(`${file}: ${fsErrorText(err)}`);
    }
    const apk = await filesOfApk(bytes, file);
    const report = lintPackage(
      { pkgname: apk.name, files: apk.files },
      { require, warn },
      `${apk.name}-${apk.version}`,
      (line) => console.error(line),
    );
    if (opts.persistLintResults) {
      const dir = join(opts.outDir, apk.arch);
      mkdirSync(dir, { recursive: true });
      const saved = persistLintResults(dir, report);
      if (saved) console.error(`saved lint results to ${saved}`);
    }
    if (report.failed.length) failures.push(lintFailure(report).message);
  }
  if (failures.length) throw new UserError(failures.join("\n"));
  console.error(`${files.length} ${files.length > 1 ? "packages" : "package"} passed`);
}
