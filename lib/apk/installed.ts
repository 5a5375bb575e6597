/**
 * `lib/apk/db/installed`, apk-tools' record of what is installed: each
 * package's index fields, then its directories (`F:`, with `M:` owner and
 * mode) and files (`R:`, with `a:` owner and mode and `Z:` checksum).
 */
import { UserError } from "../errors.ts";
import { type ApkPackage, applyIndexField, emptyPackage, formatIndexEntry } from "./index.ts";

/** A file a package installed. */
export interface InstalledFile {
  name: string;
  /** `uid:gid:mode` when not root's 0644. */
  acl?: string;
  /** `Q1` + base64 SHA-1 of the contents (of the target, for symlinks). */
  checksum?: string;
}

/** A directory a package owns, with the files it put there. */
export interface InstalledDir {
  name: string;
  /** `uid:gid:mode` when not root's 0755. */
  acl?: string;
  files: InstalledFile[];
}

/** One package's record. */
export interface InstalledPackage {
  pkg: ApkPackage;
  dirs: InstalledDir[];
  /** Fields the database had that this reader does not model, kept in order. */
  extra?: string[];
}

/** Parses the database text. */
export function parseInstalledDb(text: string, source = "installed"): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  let cur: InstalledPackage | undefined;
  let dir: InstalledDir | undefined;
  let file: InstalledFile | undefined;
  let n = 0;
  for (const line of text.split("\n")) {
    n++;
    if (!line) {
      if (cur) out.push(cur);
      cur = undefined;
      dir = undefined;
      file = undefined;
      continue;
    }
    if (line[1] !== ":") throw new UserError(`${source}:${n}: expected "X:value"`);
    cur ??= { pkg: emptyPackage("", "", ""), dirs: [] };
    const key = line[0];
    const value = line.slice(2);
    switch (key) {
      case "F":
        dir = { name: value, files: [] };
        cur.dirs.push(dir);
        file = undefined;
        break;
      case "M":
        if (!dir) throw new UserError(`${source}:${n}: M: before F:`);
        dir.acl = value;
        break;
      case "R":
        if (!dir) {
          dir = { name: "", files: [] };
          cur.dirs.push(dir);
        }
        file = { name: value };
        dir.files.push(file);
        break;
      case "a":
        if (!file) throw new UserError(`${source}:${n}: a: before R:`);
        file.acl = value;
        break;
      case "Z":
        if (!file) throw new UserError(`${source}:${n}: Z: before R:`);
        file.checksum = value;
        break;
      default:
        if (!applyIndexField(cur.pkg, key, value)) (cur.extra ??= []).push(line);
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** Writes the database text as apk-tools does. */
export function formatInstalledDb(pkgs: InstalledPackage[]): string {
  let out = "";
  for (const p of pkgs) {
    const lines = [...formatIndexEntry(p.pkg, { installed: true }), ...(p.extra ?? [])];
    for (const d of p.dirs) {
      if (d.name || d.acl) lines.push(`F:${d.name}`);
      if (d.acl) lines.push(`M:${d.acl}`);
      for (const f of d.files) {
        lines.push(`R:${f.name}`);
        if (f.acl) lines.push(`a:${f.acl}`);
        if (f.checksum) lines.push(`Z:${f.checksum}`);
      }
    }
    out += lines.join("\n") + "\n\n";
  }
  return out;
}
