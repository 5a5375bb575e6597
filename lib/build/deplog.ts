/** melange's `--dependency-log`. */
import { writeFileSync } from "node:fs";
import type { WrittenPackage } from "../apk/package.ts";
import { fsErrorText, UserError } from "../errors.ts";

/**
 * melange's dependency log: the analysis's dependencies as JSON in
 * `<log>.<arch>`. melange rewrites the file for each package it emits, so
 * what remains is the last subpackage's (or the package's, without any);
 * so it is here.
 */
export function writeDependencyLog(made: WrittenPackage[], file: string): void {
  const last = made.at(-1);
  if (!last) return;
  const doc: Record<string, string[]> = {};
  if (last.generated.runtime.length) doc.runtime = last.generated.runtime;
  if (last.generated.provides.length) doc.provides = last.generated.provides;
  try {
    writeFileSync(file, JSON.stringify(doc) + "\n");
  } catch (err) {
    throw new UserError(`--dependency-log ${file}: ${fsErrorText(err)}`);
  }
}
