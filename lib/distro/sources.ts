/**
 * The build files of a many-package run: files named one by one, or every
 * `*.yaml` at the top of a directory (a wolfi-os checkout), whose
 * `pipelines/` folder then serves the files' `uses:` before the built-in
 * pipelines, as wolfi-os's Makefile passes `--pipeline-dir ./pipelines`.
 */
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../errors.ts";

/** What a run reads. */
export interface BuildSources {
  /** Build files, absolute, sorted, each once. */
  files: string[];
  /** `pipelines/` folders of the directories given (searched before the built-in ones). */
  pipelineDirs: string[];
}

/** YAML files at the top of a directory that are not build files (CI and tool settings). */
const NOT_BUILD_FILES = new Set([".yamllint.yaml", ".golangci.yaml", ".pre-commit-config.yaml"]);

/** Resolves the paths given on the command line to build files and pipeline folders. */
export function findSources(paths: string[]): BuildSources {
  if (!paths.length) throw new UserError("no build files given");
  const files = new Set<string>();
  const pipelineDirs: string[] = [];
  for (const path of paths) {
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new UserError(`${path}: no such file or directory`);
    }
    if (st.isFile()) {
      files.add(resolve(path));
      continue;
    }
    if (!st.isDirectory()) throw new UserError(`${path}: not a file or directory`);
    const found = readdirSync(path)
      .filter((n) => /\.ya?ml$/.test(n) && !NOT_BUILD_FILES.has(n) && !n.startsWith("."))
      .filter((n) => statSync(join(path, n)).isFile());
    if (!found.length) throw new UserError(`${path}: no build files (*.yaml) in this directory`);
    for (const n of found) files.add(resolve(path, n));
    const pipelines = join(path, "pipelines");
    if (isDir(pipelines)) pipelineDirs.push(resolve(pipelines));
  }
  return { files: [...files].sort(), pipelineDirs };
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
