/** What `melange2 license-check` runs, loaded when it runs (cli/license_check.ts registers it). */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { extname } from "node:path";
import { fsErrorText, UserError } from "../lib/errors.ts";
import type { CopyrightEntry } from "../lib/license/check.ts";

/** Whether `path` is a directory (false when it cannot be read). */
function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The `package.copyright` of a build file or of a package's `.melange.yaml`. */
async function copyrightOf(file: string): Promise<CopyrightEntry[]> {
  const { parse } = await import("yaml");
  let text: string;
  if (extname(file) === ".apk") {
    const { readApk } = await import("../lib/apk/archive.ts");
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new UserError(`${file}: ${fsErrorText(err)}`);
    }
    const apk = await readApk(bytes, new Map(), { allowUntrusted: true, source: file });
    const yaml = apk.control.find((e) => e.header.name === ".melange.yaml");
    if (!yaml) throw new UserError(`${file}: no .melange.yaml in the package`);
    text = new TextDecoder().decode(yaml.data);
  } else {
    const { loadConfig } = await import("../lib/config/mod.ts");
    return (await loadConfig(file)).data.package?.copyright ?? [];
  }
  return parse(text)?.package?.copyright ?? [];
}

/** `license-check`: the licenses under PATH (or --workdir), checked against the build file's. */
export async function licenseCheck(path: string, opts: Record<string, any>): Promise<void> {
  const ext = extname(path);
  const withConfig = ext === ".yaml" || ext === ".apk";
  if (!withConfig && !isDir(path)) {
    throw new UserError(`${path}: expected a source directory, a .yaml build file or an .apk`);
  }
  if (opts.fix && ext !== ".yaml") {
    throw new UserError(`--fix rewrites a build file: name a .yaml, not ${path}`);
  }
  let root = path;
  let copyright: CopyrightEntry[] | undefined;
  if (withConfig) {
    copyright = await copyrightOf(path);
    if (!opts.workdir || !isDir(opts.workdir)) {
      throw new UserError(
        `${path}: checking a ${ext === ".apk" ? "package" : "build file"} means checking ` +
          `its sources, which melange fetches (fetch, git-checkout) and melange2 does not: ` +
          `extract them yourself and pass --workdir DIR` +
          (opts.workdir ? ` (${opts.workdir} is not a directory)` : ""),
      );
    }
    root = opts.workdir;
  }
  const { Classifier, spdxCorpus } = await import("../lib/license/classify.ts");
  const { collectLicenses, licenseDifferences, reportLines } = await import(
    "../lib/license/check.ts"
  );
  const classifier = new Classifier(await spdxCorpus());
  const detected = collectLicenses(root, classifier, {
    deep: opts.scanType === "deep",
    copyright,
  });
  const diffs = copyright ? licenseDifferences(detected, copyright) : undefined;
  console.log(reportLines(detected, diffs).join("\n"));
  if (opts.fix && diffs?.length) {
    const { fixedCopyright } = await import("../lib/license/fix.ts");
    const text = readFileSync(path, "utf8");
    const fixed = fixedCopyright(text, detected, opts.format);
    if (fixed !== undefined && fixed !== text) {
      writeFileSync(path, fixed);
      console.error(`updated package.copyright in ${path}`);
    }
  }
}
