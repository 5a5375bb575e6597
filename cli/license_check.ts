/**
 * `melange2 license-check PATH`: melange's license check, offline. PATH is
 * a source tree, or a build file or package whose sources are already in
 * `--workdir` (melange fetches them there first; melange2 fetches nothing).
 */
import { type Command, Option } from "commander";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { extname } from "node:path";
import { fsErrorText, UserError } from "../lib/errors.ts";
import type { CopyrightEntry } from "../lib/license/check.ts";
import { action } from "./run.ts";

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

/** Registers `license-check`. */
export function register(program: Command): void {
  program
    .command("license-check")
    .description("Find the licenses of a source tree and check them against the build file")
    .argument("<path>", "a source tree, or a build file (.yaml) or package (.apk) with --workdir")
    .option(
      "--workdir <dir>",
      "the sources of the build file or package, already extracted (melange2 fetches nothing)",
    )
    .option("--fix", "rewrite the build file's package.copyright from what was found")
    .addOption(
      new Option("--format <format>", "--fix's copyright: flat (one entry per file) or simple")
        .choices(["flat", "simple"]).default("flat"),
    )
    .addOption(
      new Option("--scan-type <type>", "shallow (top directory and one level) or deep")
        .choices(["shallow", "deep"]).default("shallow"),
    )
    .action(action(async (path: string, opts: Record<string, any>) => {
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
    }));
}
