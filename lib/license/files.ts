/**
 * Which files of a source tree hold licenses: melange's IsLicenseFile and
 * FindLicenseFiles (themselves Licensee's file name rules), so the same
 * files are checked.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

const PREFERRED_EXT = String.raw`\.(?:md|markdown|txt|html)$`;
const ANY_EXT = String.raw`(\.[^./]+$)`;
const LICENSE = String.raw`(un)?licen[sc]e`;
const COPYING = String.raw`copy(ing|right)`;
const IGNORED_EXT = [".xml", ".go", ".gemspec", ".spdx", ".header"];
const IGNORED_DIRS = [".virtualenv", "env", "node_modules", "rust-src", "rustc-src", "venv"];

/** File name patterns and their weights (how surely such a file is the project's license). */
const NAME_RULES: [RegExp, number][] = ([
  [`^${LICENSE}$`, 1.0],
  [`^${LICENSE}${PREFERRED_EXT}`, 0.95],
  [`^${COPYING}$`, 0.9],
  [`^${COPYING}${PREFERRED_EXT}`, 0.85],
  [`^${LICENSE}${ANY_EXT}$`, 0.8],
  [`^${COPYING}${ANY_EXT}$`, 0.75],
  [`^${LICENSE}[-_][^.]*${ANY_EXT}?$`, 0.7],
  [`^${COPYING}[-_][^.]*${ANY_EXT}?$`, 0.65],
  [String.raw`^\w+[-_]` + `${LICENSE}[^.]*${ANY_EXT}?$`, 0.6],
  [String.raw`^\w+[-_]` + `${COPYING}[^.]*${ANY_EXT}?$`, 0.55],
  [`^ofl${PREFERRED_EXT}`, 0.5],
  [`^ofl${ANY_EXT}`, 0.45],
  [`^ofl$`, 0.4],
  [`^patents$`, 0.35],
  [`^patents${ANY_EXT}$`, 0.3],
] as [string, number][]).map(([re, w]) => [new RegExp(re, "i"), w]);

/**
 * Whether `path` names a license file, and its weight. Paths under vendored
 * toolchain or dependency directories are not (unless `overrideIgnore`).
 * Where several rules match, the heaviest counts (melange takes whichever
 * its map yields first, which Go leaves to chance).
 */
export function isLicenseFile(path: string, overrideIgnore = false): [boolean, number] {
  // Rust embeds versions in directory names: rust-1.86.0-src is rust-src.
  const p = path.replace(/-\d+\.\d+\.\d+-/g, "-");
  if (!overrideIgnore && p.split("/").some((s) => IGNORED_DIRS.includes(s))) return [false, 0];
  const name = p.slice(p.lastIndexOf("/") + 1);
  const ext = /\.[^.]*$/.exec(name)?.[0] ?? "";
  if (IGNORED_EXT.includes(ext)) return [false, 0];
  let best = 0;
  for (const [re, w] of NAME_RULES) if (re.test(name) && w > best) best = w;
  return best > 0 ? [true, best] : [false, 0];
}

/** A license file found in a tree. */
export interface LicenseFile {
  /** Path relative to the tree's root, `/`-separated. */
  path: string;
  weight: number;
}

/**
 * The license files under `root`, heaviest first (files at the top get
 * half a point more). Shallow (melange's default): the top directory and
 * one level down, skipping `vendor`; deep: the whole tree. Only regular
 * files; nothing under melange-out.
 */
export function findLicenseFiles(root: string, deep: boolean): LicenseFile[] {
  const out: LicenseFile[] = [];
  const walk = (rel: string) => {
    const entries = readdirSync(join(root, rel), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      const parts = path.split("/");
      if (!deep && (parts.includes("vendor") || parts.length > 2)) continue;
      if (e.isDirectory()) walk(path);
      else if (e.isFile() && !path.includes("melange-out")) {
        const [is, weight] = isLicenseFile(path);
        if (is) out.push({ path, weight: weight + (parts.length === 1 ? 0.5 : 0) });
      }
    }
  };
  walk("");
  // A stable sort: equal weights keep the walk's (lexical) order, as melange's SliceStable.
  return out.sort((a, b) => b.weight - a.weight);
}
