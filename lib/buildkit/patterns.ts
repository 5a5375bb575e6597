/**
 * Include/exclude patterns of local sources, with the semantics of
 * moby/patternmatcher (.dockerignore): `*` and `?` stay within a path
 * segment, `**` crosses segments, a leading `!` re-includes, and a pattern
 * matching a directory covers everything below it.
 */

interface Pattern {
  re: RegExp;
  negate: boolean;
}

function clean(p: string): string {
  return p.replace(/^\/+/, "").replace(/\/+$/, "").replace(/^\.\//, "");
}

function compile(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (glob[i + 1] === "*") {
        i++;
        if (glob[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i);
      if (end < 0) re += "\\[";
      else {
        re += "[" + glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else if (c === "\\" && i + 1 < glob.length) re += "\\" + glob[++i];
    else re += c.replace(/[.+^${}()|\]\\]/g, "\\$&");
  }
  // A match on a directory covers its contents.
  return new RegExp(`^${re}(?:/.*)?$`);
}

/** A compiled list of patterns; later ones win, `!` negates. */
export class PatternMatcher {
  readonly #patterns: Pattern[];

  constructor(patterns: string[]) {
    this.#patterns = patterns.filter((p) => p.trim() !== "").map((p) => {
      const negate = p.startsWith("!");
      return { re: compile(clean(negate ? p.slice(1) : p)), negate };
    });
  }

  /** True when there are no patterns at all. */
  get empty(): boolean {
    return this.#patterns.length === 0;
  }

  /** Whether `path` (relative, slash-separated) is matched. */
  matches(path: string): boolean {
    let matched = false;
    for (const p of this.#patterns) {
      if (p.re.test(path)) matched = !p.negate;
    }
    return matched;
  }
}

/**
 * Decides which entries of a local directory are sent: excluded entries are
 * skipped (a directory is still walked when a negation might re-include
 * something below it); with include patterns, only matching entries and the
 * directories leading to them are sent.
 */
export class PathFilter {
  readonly #include: string[];
  readonly #includeRes: RegExp[];
  readonly #exclude: PatternMatcher;
  readonly #hasNegation: boolean;

  constructor(include: string[] = [], exclude: string[] = []) {
    this.#include = include.map(clean).filter((p) => p !== "");
    this.#includeRes = this.#include.map(compile);
    this.#exclude = new PatternMatcher(exclude);
    this.#hasNegation = exclude.some((p) => p.startsWith("!"));
  }

  /** Whether the entry itself is sent. */
  includes(path: string, isDir: boolean): boolean {
    if (this.#exclude.matches(path)) return false;
    if (this.#include.length === 0) return true;
    if (this.#includeRes.some((re) => re.test(path))) return true;
    return isDir && this.#leadsToInclude(path);
  }

  /** Whether a directory's contents must be walked. */
  walks(dir: string): boolean {
    if (this.#exclude.matches(dir) && !this.#hasNegation) return false;
    if (this.#include.length === 0) return true;
    return this.#includeRes.some((re) => re.test(dir)) || this.#leadsToInclude(dir);
  }

  #leadsToInclude(dir: string): boolean {
    return this.#include.some((p) => {
      const fixed = p.split(/[*?[]/)[0];
      if (fixed.length < p.length && fixed.startsWith(dir + "/")) return true;
      if (fixed.length < p.length && (dir + "/").startsWith(fixed)) return true;
      return p.startsWith(dir + "/");
    });
  }
}
