/**
 * melange's `.melangeignore`: gitignore-style patterns, in the source
 * directory, of files not copied into the workspace. BuildKit's local
 * sources take .dockerignore-style patterns, which match from the root
 * only, so each pattern is translated: one without a `/` matches at any
 * depth (`*.o` is `**\/*.o`), a leading `/` anchors it at the root.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fsErrorText, UserError } from "../errors.ts";

/** The file melange reads in the source directory. */
export const MELANGEIGNORE = ".melangeignore";

/** gitignore lines as local-source exclude patterns (comments and blank lines dropped). */
export function ignorePatterns(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.replace(/(?<!\\)\s+$/, "");
    if (!line || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    if (negate) line = line.slice(1);
    line = line.replace(/^\\([#!])/, "$1");
    const dirOnly = line.endsWith("/");
    const body = line.replace(/\/+$/, "");
    if (!body) continue;
    const anchored = body.includes("/");
    const pattern = anchored ? body.replace(/^\/+/, "") : `**/${body}`;
    out.push(`${negate ? "!" : ""}${pattern}${dirOnly ? "/" : ""}`);
  }
  return out;
}

/** The exclude patterns of `sourceDir`'s .melangeignore; undefined when there is none. */
export function melangeIgnore(sourceDir: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(join(sourceDir, MELANGEIGNORE), "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw new UserError(`${join(sourceDir, MELANGEIGNORE)}: ${fsErrorText(err)}`);
  }
  return ignorePatterns(text);
}
