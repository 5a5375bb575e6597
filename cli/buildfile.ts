/** Which build file a command reads: the one named, or melange's default names. */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../lib/errors.ts";

/** The names melange looks for when no file is given, in its order. */
export const DEFAULT_BUILD_FILES = [".melange.yaml", ".melange.yml", "melange.yaml", "melange.yml"];

/**
 * The build file to read: `arg` when given (it must be a file), else the
 * first of {@link DEFAULT_BUILD_FILES} in `cwd`. Errors say what to do.
 */
export function findBuildFile(arg: string | undefined, cwd = "."): string {
  if (arg === undefined) {
    const found = DEFAULT_BUILD_FILES.map((n) => join(cwd, n)).find(isFile);
    if (found) return found;
    throw new UserError(
      `no build file given, and none of ${DEFAULT_BUILD_FILES.join(", ")} is in ` +
        `${cwd === "." ? "this directory" : cwd}: name it, e.g. melange2 build hello.yaml`,
    );
  }
  let isDir = false;
  try {
    isDir = statSync(arg).isDirectory();
  } catch {
    throw new UserError(`${arg}: no such file`);
  }
  if (isDir) {
    const yamls = yamlFiles(arg);
    throw new UserError(
      `${arg} is a directory: name the build file in it` +
        (yamls.length ? ` (${yamls.slice(0, 5).map((y) => join(arg, y)).join(", ")})` : ""),
    );
  }
  return arg;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function yamlFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    return [];
  }
}
