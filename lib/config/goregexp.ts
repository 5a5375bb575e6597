/**
 * Go (RE2) regular expressions and `Regexp.ReplaceAllString` templates in
 * JavaScript, for `var-transforms`. RE2 syntax is mostly a subset of JS's;
 * the differences melange files meet are translated: `(?P<name>`, inline
 * flags `(?i)`/`(?s)`/`(?m)` at the start, `\z`, `\A`, POSIX classes, and
 * `$name`/`${name}` expansion where `$1x` names group "1x" as in Go.
 */

const POSIX: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/** Compiles a Go regexp as a global JS RegExp; throws with the pattern on syntax errors. */
export function goRegExp(pattern: string): RegExp {
  let src = pattern;
  let flags = "g";
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    src = src.slice(lead[0].length);
    for (const f of lead[1]) if (f !== "U" && !flags.includes(f)) flags += f;
  }
  src = src
    .replace(/\(\?P</g, "(?<")
    .replace(/\\z/g, "$(?![\\s\\S])")
    .replace(/\\A/g, "^(?<![\\s\\S])")
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg, name) => {
      const cls = POSIX[name];
      if (!cls) return m;
      return neg ? `[^${cls}]`.slice(1, -1) : cls;
    });
  try {
    return new RegExp(src, flags + "u");
  } catch {
    try {
      return new RegExp(src, flags);
    } catch (err) {
      throw new Error(`invalid regular expression "${pattern}": ${(err as Error).message}`);
    }
  }
}

/** Expands a Go replacement template for one match. */
function expand(template: string, m: RegExpExecArray): string {
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== "$") {
      out += c;
      continue;
    }
    const next = template[i + 1];
    if (next === "$") {
      out += "$";
      i++;
      continue;
    }
    let name: string;
    if (next === "{") {
      const end = template.indexOf("}", i + 2);
      if (end < 0) {
        out += c;
        continue;
      }
      name = template.slice(i + 2, end);
      i = end;
    } else {
      const w = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (!w) {
        out += c;
        continue;
      }
      name = w[0];
      i += name.length;
    }
    if (/^\d+$/.test(name)) out += m[Number(name)] ?? "";
    else out += m.groups?.[name] ?? "";
  }
  return out;
}

/** Go's `re.ReplaceAllString(src, template)`. */
export function goReplaceAll(src: string, pattern: string, template: string): string {
  const re = goRegExp(pattern);
  let out = "";
  let last = 0;
  for (const m of src.matchAll(re)) {
    out += src.slice(last, m.index) + expand(template, m as RegExpExecArray);
    last = m.index! + m[0].length;
  }
  return out + src.slice(last);
}
