/** What `melange2 bump` runs, loaded when it runs (cli/bump.ts registers it). */
import { createHash } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { YAMLMap } from "yaml";
import { YAML } from "../lib/yamlmod.ts";
import { hostArch } from "../lib/build/arch.ts";
import { download, isUrl } from "../lib/apk/fetch.ts";
import { loadConfig } from "../lib/config/mod.ts";
import { baseVars } from "../lib/config/compile.ts";
import { substitute } from "../lib/config/subst.ts";
import { fsErrorText, UserError } from "../lib/errors.ts";

const { isMap, isScalar, isSeq, parseDocument, Scalar } = YAML;

/** The steps of a pipeline, nested ones included, that `uses` the given pipeline. */
function stepsUsing(node: unknown, uses: string): YAMLMap[] {
  if (isSeq(node)) return node.items.flatMap((i) => stepsUsing(i, uses));
  if (!isMap(node)) return [];
  const own = node.get("uses") === uses ? [node] : [];
  return [...own, ...stepsUsing(node.get("pipeline", true), uses)];
}

/** Rewrites `text` (a build file) for `version`; `fetchSource` gives a fetch URI's bytes. */
export async function bumpText(
  text: string,
  file: string,
  version: string,
  opts: { expectedCommit?: string; fetchSource: (uri: string) => Promise<Uint8Array> },
): Promise<string> {
  const doc = parseDocument(text);
  const pkg = doc.get("package", true);
  if (!isMap(pkg) || !pkg.has("version")) {
    throw new UserError(`${file}: no package.version to bump`);
  }
  const target = version.trim();
  const old = String(pkg.get("version"));
  const epoch = Number(pkg.get("epoch") ?? 0);
  if (!Number.isInteger(epoch)) throw new UserError(`${file}: package.epoch is not a number`);
  // The node itself changes, so its comments stay.
  const node = pkg.get("version", true);
  if (isScalar(node)) {
    node.value = target;
    node.type = Scalar.QUOTE_DOUBLE;
  } else pkg.set("version", target);
  pkg.set("epoch", old === target ? epoch + 1 : 0);
  const bumped = doc.toString();

  const pipeline = doc.get("pipeline", true);
  const fetches = stepsUsing(pipeline, "fetch");
  if (fetches.length) {
    // Substitute with the bumped file's own variables, as melange recomputes them.
    const tmp = join(dirname(file), `.bump-${crypto.randomUUID().slice(0, 8)}.yaml`);
    let vars;
    try {
      writeFileSync(tmp, bumped);
      vars = baseVars(await loadConfig(tmp), hostArch());
    } finally {
      rmSync(tmp, { force: true });
    }
    for (const step of fetches) {
      const w = step.get("with", true);
      if (!isMap(w) || !w.has("uri")) continue;
      const uri = substitute(String(w.get("uri")), vars);
      const bytes = await opts.fetchSource(uri);
      if (w.has("expected-sha256")) {
        w.set("expected-sha256", createHash("sha256").update(bytes).digest("hex"));
      }
      if (w.has("expected-sha512")) {
        w.set("expected-sha512", createHash("sha512").update(bytes).digest("hex"));
      }
    }
  }
  if (opts.expectedCommit) {
    for (const step of stepsUsing(pipeline, "git-checkout")) {
      const w = step.get("with", true);
      if (isMap(w)) w.set("expected-commit", opts.expectedCommit);
    }
  }
  return doc.toString();
}

/** A fetch step's source bytes: downloaded, or read from a local path or file:// URI. */
async function fetchSource(uri: string): Promise<Uint8Array> {
  if (isUrl(uri)) return (await download(uri)).bytes;
  const path = uri.replace(/^file:\/\//, "");
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UserError(`fetching ${uri}: ${fsErrorText(err)}`);
  }
}

/** `bump`: rewrites FILE in place for VERSION. */
export async function bumpCommand(
  file: string,
  version: string,
  opts: { expectedCommit?: string },
): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`${file}: ${fsErrorText(err)}`);
  }
  const out = await bumpText(text, file, version, { ...opts, fetchSource });
  const tmp = `${file}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    writeFileSync(tmp, out);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
  console.error(`bumped ${file} to ${version.trim()}`);
}
