/**
 * What a build or test copies into its workspace (/home/build), as melange
 * v0.59.1 decides it:
 *
 * - `build`: `--source-dir`, else the build file's directory (melange's CLI
 *   sets the source directory to `filepath.Dir(config)`), minus what the
 *   directory's `.melangeignore` names; nothing with `--empty-workspace`.
 * - `test`: `--source-dir` only (melange's test has no default source and
 *   reads no `.melangeignore`).
 *
 * One deliberate difference: what melange2 itself writes during the build
 * (the out directory, packages.log, dependency logs, the trace, the
 * exported workspace) is left out when it lies inside the source directory.
 * melange copies it in too, but here the copy is part of every step's cache
 * key: a build's own outputs would make the next identical build miss the
 * cache entirely.
 */
import { dirname, relative, resolve, sep } from "node:path";
import { melangeIgnore } from "./melangeignore.ts";

/** A directory copied into the workspace, and the local-source patterns it leaves out. */
export interface WorkspaceSource {
  /** Absolute path of the directory. */
  dir: string;
  /** Exclude patterns of BuildKit's local source (none: everything is copied). */
  exclude?: string[];
}

/** What {@link buildSource} reads. */
export interface BuildSourceOptions {
  configFile: string;
  sourceDir?: string;
  emptyWorkspace?: boolean;
  /** Paths the build writes (files or directories); those inside the source are left out. */
  outputs?: (string | undefined)[];
  /** Path prefixes of files the build writes (`--dependency-log` writes `<log>.<arch>`). */
  outputPrefixes?: (string | undefined)[];
}

/** The source of a build's workspace; undefined with `--empty-workspace`. */
export function buildSource(opts: BuildSourceOptions): WorkspaceSource | undefined {
  if (opts.emptyWorkspace) return undefined;
  const dir = resolve(opts.sourceDir ?? dirname(opts.configFile));
  const exclude = [
    ...melangeIgnore(dir) ?? [],
    ...(opts.outputs ?? []).flatMap((p) => p === undefined ? [] : insidePattern(dir, p)),
    ...(opts.outputPrefixes ?? []).flatMap((p) =>
      p === undefined ? [] : insidePattern(dir, p).map((pattern) => `${pattern}*`)
    ),
  ];
  return { dir, exclude: exclude.length ? exclude : undefined };
}

/** The source of a test's workspace: `--source-dir` only, copied whole, as melange's test. */
export function testSource(
  opts: { sourceDir?: string; emptyWorkspace?: boolean },
): WorkspaceSource | undefined {
  if (opts.emptyWorkspace || opts.sourceDir === undefined) return undefined;
  return { dir: resolve(opts.sourceDir) };
}

/** `path` as an anchored exclude pattern when it lies strictly inside `dir`. */
function insidePattern(dir: string, path: string): string[] {
  const rel = relative(dir, resolve(path));
  if (!rel || rel === ".." || rel.startsWith(`..${sep}`) || rel.startsWith(sep)) return [];
  // Pattern syntax (Go's filepath.Match) gives *, ?, [ and \ meaning: escape them.
  return [rel.split(sep).join("/").replace(/[*?[\\]/g, "\\$&")];
}
