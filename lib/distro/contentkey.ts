/**
 * What decides a package's output, as one key: the build file's bytes, the
 * file as compiled for its architecture (its `uses:` pipelines expanded, so
 * their text counts), and the resolved build environment (every package,
 * version and checksum: a dependency rebuilt differently changes it). A
 * rerun whose key matches the record beside the outputs skips the build,
 * as wolfi-os's make skips a package whose file exists, but by content.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CompiledBuild } from "../config/mod.ts";

/** What a finished build recorded: its key, files (relative to `<out>/<arch>`) and provides. */
export interface BuildRecord {
  key: string;
  files: string[];
  provides: string[];
}

/** The key of a build (see the module doc); `extra` holds options that change the output. */
export function contentKey(
  fileText: string,
  compiled: CompiledBuild,
  environmentDigest: string,
  extra: Record<string, unknown> = {},
): string {
  const h = createHash("sha256");
  h.update("melange2-distro-key-v1\n");
  h.update(`${fileText.length}\n${fileText}\n`);
  h.update(JSON.stringify(compiled) + "\n");
  h.update(environmentDigest + "\n");
  h.update(JSON.stringify(extra, Object.keys(extra).sort()) + "\n");
  return `sha256:${h.digest("hex")}`;
}

/** Where the record of package `name` for `arch` lives in the out directory. */
export function recordPath(outDir: string, arch: string, name: string): string {
  return join(outDir, ".melange2", "builds", arch, `${name}.json`);
}

/** The record when it matches `key` and every file it names is still there. */
export function matchingRecord(
  outDir: string,
  arch: string,
  name: string,
  key: string,
): BuildRecord | undefined {
  let rec: BuildRecord;
  try {
    rec = JSON.parse(readFileSync(recordPath(outDir, arch, name), "utf8"));
  } catch {
    return undefined;
  }
  if (rec.key !== key || !Array.isArray(rec.files) || !rec.files.length) return undefined;
  if (!rec.files.every((f) => existsSync(join(outDir, arch, f)))) return undefined;
  return rec;
}

/** Writes the record (atomically: a killed run leaves the old one or the new one). */
export function writeRecord(outDir: string, arch: string, name: string, rec: BuildRecord): void {
  const path = recordPath(outDir, arch, name);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  writeFileSync(tmp, JSON.stringify(rec, null, 2) + "\n");
  renameSync(tmp, path);
}
