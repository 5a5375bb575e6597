/**
 * Go (RE2) regular expressions and `Regexp.ReplaceAllString` in JavaScript,
 * for `var-transforms`. The pattern is translated token by token so that it
 * means what Go means: `(?P<name>`, flags anywhere (`(?i)`, `(?s:...)`,
 * `(?U)`), `.` not matching only `\n`, `^`/`$`/`\A`/`\z` on text or line
 * ends, ASCII `\s`, POSIX classes, `\Q...\E`, octal and `\x{...}` escapes,
 * `\pL`, and a `{` that is not a repeat being literal. The replacement is
 * Go's template syntax, where `$1x` names the group "1x".
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

/** Characters that keep their backslash in a JS `u` pattern (outside a class). */
const JS_SYNTAX = "^$\\.*+?()[]{}|/";
const GO_SPACE = "\\t\\n\\f\\r ";

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const hex = (cp: number) => `\\u{${cp.toString(16)}}`;

/** A `\p{X}` name as JS wants it: general categories as they are, scripts as `Script=X`. */
function unicodeClass(name: string, negated: boolean): string {
  let n = name;
  let neg = negated;
  if (n.startsWith("^")) {
    n = n.slice(1);
    neg = !neg;
  }
  const prop = /^[A-Z][a-z]?$/.test(n) || n === "Any" ? n : `Script=${n}`;
  return `\\${neg ? "P" : "p"}{${prop === "Any" ? "Any" : prop}}`;
}

/** Translates a Go pattern into JS source (for the `u` flag) and whether it starts case-insensitive. */
export function translateGoRegExp(pattern: string): { source: string; ignoreCase: boolean } {
  const p = pattern;
  let i = 0;
  let out = "";
  let flags: Flags = { i: false, m: false, s: false, U: false };
  // Each open group remembers the flags outside it and the modifier groups
  // opened inside it for a mid-group `(?flags)`, which close with it.
  const stack: { saved: Flags; mods: string[] }[] = [];
  let mods: string[] = [];
  let ignoreCase = false;
  const err = (msg: string): never => {
    throw new Error(`invalid regular expression "${pattern}": ${msg}`);
  };

  // One escape after `\` at p[i] (i points past the backslash); returns JS text.
  const escape = (inClass: boolean): string => {
    const c = p[i++];
    if (c === undefined) err("trailing backslash");
    if (/[0-7]/.test(c)) {
      // Go has no backreferences: \1 .. \377 are octal.
      let digits = c;
      while (digits.length < 3 && /[0-7]/.test(p[i] ?? "")) digits += p[i++];
      if (c !== "0" && digits.length === 1) err(`invalid escape \\${c}`);
      return hex(parseInt(digits, 8));
    }
    switch (c) {
      case "a":
        return "\\x07";
      case "f":
      case "t":
      case "n":
      case "r":
      case "v":
      case "d":
      case "D":
      case "w":
      case "W":
        return `\\${c}`;
      case "b":
      case "B":
        if (inClass) err(`invalid escape \\${c} in a class`);
        return `\\${c}`;
      case "s":
        return inClass ? GO_SPACE : `[${GO_SPACE}]`;
      case "S":
        return inClass ? "\\S" : `[^${GO_SPACE}]`;
      case "A":
        return "(?<![\\s\\S])";
      case "z":
        return "(?![\\s\\S])";
      case "C":
        return "[\\s\\S]";
      case "x": {
        if (p[i] === "{") {
          const end = p.indexOf("}", i);
          if (end < 0) err("unterminated \\x{");
          const cp = parseInt(p.slice(i + 1, end), 16);
          if (!/^[0-9A-Fa-f]+$/.test(p.slice(i + 1, end)) || cp > 0x10ffff) err("bad \\x{...}");
          i = end + 1;
          return hex(cp);
        }
        const h = p.slice(i, i + 2);
        if (!/^[0-9A-Fa-f]{2}$/.test(h)) err("bad \\x escape");
        i += 2;
        return `\\x${h}`;
      }
      case "p":
      case "P": {
        let name: string;
        if (p[i] === "{") {
          const end = p.indexOf("}", i);
          if (end < 0) err("unterminated \\p{");
          name = p.slice(i + 1, end);
          i = end + 1;
        } else {
          name = p[i++] ?? err("bad \\p");
        }
        return unicodeClass(name, c === "P");
      }
      case "Q": {
        const end = p.indexOf("\\E", i);
        const lit = end < 0 ? p.slice(i) : p.slice(i, end);
        i = end < 0 ? p.length : end + 2;
        return [...lit].map((ch) => literal(ch, inClass)).join("");
      }
    }
    if (/[!-\/:-@\[-`{-~]/.test(c)) return literal(c, inClass);
    return err(`invalid escape \\${c}`);
  };

  // A character that must match itself.
  const literal = (ch: string, inClass: boolean): string => {
    if (inClass) return "\\^-[]".includes(ch) ? `\\${ch}` : ch;
    return JS_SYNTAX.includes(ch) ? `\\${ch}` : ch;
  };

  const charClass = (): string => {
    // p[i - 1] was "[".
    let s = "[";
    if (p[i] === "^") {
      s += "^";
      i++;
    }
    let first = true;
    for (;;) {
      const c = p[i];
      if (c === undefined) err("missing closing ]");
      if (c === "]" && !first) {
        i++;
        return s + "]";
      }
      first = false;
      if (c === "[" && p[i + 1] === ":") {
        const end = p.indexOf(":]", i + 2);
        const body = end < 0 ? "" : p.slice(i + 2, end);
        const neg = body.startsWith("^");
        const cls = POSIX[neg ? body.slice(1) : body];
        if (cls) {
          if (neg) {
            if (s !== "[" || p[end + 2] !== "]") {
              err(`[:^${body.slice(1)}:] must be alone in [...]`);
            }
            i = end + 3;
            return `[^${cls}]`;
          }
          s += cls;
          i = end + 2;
          continue;
        }
      }
      i++;
      if (c === "\\") s += escape(true);
      else if (c === "-") s += "-";
      else s += literal(c, true);
    }
  };

  // After an atom: a repeat (with Go's ungreedy flag flipping laziness).
  const quantifier = (): string => {
    let q = "";
    const c = p[i];
    if (c === "*" || c === "+" || c === "?") {
      q = c;
      i++;
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
      if (!m) return "";
      if (Number(m[1]) > 1000 || (m[3] && Number(m[3]) > 1000)) err("repeat count too large");
      if (m[3] && Number(m[3]) < Number(m[1])) err("invalid repeat count");
      q = m[0];
      i += m[0].length;
    } else return "";
    let lazy = false;
    if (p[i] === "?") {
      lazy = true;
      i++;
    }
    if (flags.U) lazy = !lazy;
    if ("*+?{".includes(p[i] ?? "") && quantifier() !== "") {
      err("invalid nested repetition operator");
    }
    return q + (lazy ? "?" : "");
  };

  // JS modifier group switching case folding; `m` and `s` are translated above.
  const modifier = (before: Flags, after: Flags): string =>
    before.i === after.i ? "" : after.i ? "(?i:" : "(?-i:";
  // Whether a translated atom can take a quantifier as it is.
  const single = (a: string) =>
    /^(?:[^\\]|\\.|\\x[0-9A-Fa-f]{2}|\\u\{[0-9a-f]+\}|\\[pP]\{[^}]*\}|\[(?:[^\]\\]|\\.)*\])$/su
      .test(a);
  const open = (text: string) => {
    stack.push({ saved: flags, mods });
    mods = [];
    out += text;
  };

  while (i < p.length) {
    const c = p[i++];
    let atom: string;
    let canRepeat = true;
    if (c === "\\") {
      const kind = p[i];
      atom = escape(false);
      if ("AzbB".includes(kind)) canRepeat = false;
      if (kind === "Q" && atom) {
        // A repeat after \Q...\E applies to its last character only.
        const chars = atom.match(/\\?[\s\S]/gu) ?? [];
        out += chars.slice(0, -1).join("");
        atom = chars[chars.length - 1];
      }
      if (!atom) continue;
    } else if (c === "[") {
      atom = charClass();
    } else if (c === ".") {
      atom = flags.s ? "[\\s\\S]" : "[^\\n]";
    } else if (c === "^") {
      atom = flags.m ? "(?<![^\\n])" : "(?<![\\s\\S])";
      canRepeat = false;
    } else if (c === "$") {
      atom = flags.m ? "(?![^\\n])" : "(?![\\s\\S])";
      canRepeat = false;
    } else if (c === "|") {
      // Flags set earlier in this group still apply after the bar.
      out += ")".repeat(mods.length) + "|" + mods.join("");
      continue;
    } else if (c === "(") {
      if (p[i] !== "?") {
        open("(");
        continue;
      }
      const m = /^\?(?:P?<([A-Za-z_][A-Za-z0-9_]*)>|([imsU]*)(?:-([imsU]*))?([:)]))/.exec(
        p.slice(i),
      );
      if (!m) return err(`invalid or unsupported group syntax at offset ${i - 1}`);
      i += m[0].length;
      if (m[1] !== undefined) {
        open(`(?<${m[1]}>`);
        continue;
      }
      const next: Flags = { ...flags };
      for (const f of m[2] ?? "") next[f as keyof Flags] = true;
      for (const f of m[3] ?? "") next[f as keyof Flags] = false;
      if (m[4] === ":") {
        open(modifier(flags, next) || "(?:");
        flags = next;
        continue;
      }
      // `(?flags)`: until the end of the enclosing group.
      if (!out && stack.length === 0) ignoreCase = next.i;
      else {
        const mod = modifier(flags, next);
        if (mod) {
          out += mod;
          mods.push(mod);
        }
      }
      flags = next;
      continue;
    } else if (c === ")") {
      const top = stack.pop() ?? err("unexpected )");
      out += ")".repeat(mods.length) + ")";
      flags = top.saved;
      mods = top.mods;
      out += quantifier();
      continue;
    } else if (c === "*" || c === "+" || c === "?") {
      return err(`missing argument to repetition operator ${c}`);
    } else if (c === "{" || c === "}") {
      atom = `\\${c}`;
    } else {
      atom = c;
    }
    if (!canRepeat) {
      quantifier(); // Go allows repeating an assertion; it means the same as once.
      out += atom;
      continue;
    }
    const q = quantifier();
    out += q && !single(atom) ? `(?:${atom})${q}` : atom + q;
  }
  if (stack.length) err("missing closing )");
  out += ")".repeat(mods.length);
  return { source: out, ignoreCase };
}

/** Compiles a Go regexp as a global JS RegExp; throws with the pattern on syntax errors. */
export function goRegExp(pattern: string): RegExp {
  const { source, ignoreCase } = translateGoRegExp(pattern);
  try {
    return new RegExp(source, ignoreCase ? "gui" : "gu");
  } catch (err) {
    throw new Error(`invalid regular expression "${pattern}": ${(err as Error).message}`);
  }
}

/** Go's `extract`: a group name after `$` (word characters, or braced). */
function extract(t: string): { name: string; num: number; rest: string } | undefined {
  let s = t;
  const brace = s[0] === "{";
  if (brace) s = s.slice(1);
  const m = /^[\p{L}\p{Nd}_]+/u.exec(s);
  if (!m) return undefined;
  const name = m[0];
  let rest = s.slice(name.length);
  if (brace) {
    if (rest[0] !== "}") return undefined;
    rest = rest.slice(1);
  }
  let num = /^[0-9]+$/.test(name) && name.length < 9 ? Number(name) : -1;
  if (name[0] === "0" && name.length > 1) num = -1;
  return { name, num, rest };
}

/** Expands a Go replacement template for one match. */
function expand(template: string, m: RegExpExecArray): string {
  let out = "";
  let t = template;
  for (;;) {
    const at = t.indexOf("$");
    if (at < 0) return out + t;
    out += t.slice(0, at);
    t = t.slice(at + 1);
    if (t[0] === "$") {
      out += "$";
      t = t.slice(1);
      continue;
    }
    const x = extract(t);
    if (!x) {
      out += "$"; // malformed: the `$` is text
      continue;
    }
    t = x.rest;
    out += (x.num >= 0 ? m[x.num] : m.groups?.[x.name]) ?? "";
  }
}

/** Go's `re.ReplaceAllString(src, template)`. */
export function goReplaceAll(src: string, pattern: string, template: string): string {
  const re = goRegExp(pattern);
  let out = "";
  let last = 0;
  let lastMatchEnd = -1;
  for (const m of src.matchAll(re)) {
    const start = m.index!;
    const end = start + m[0].length;
    // Go skips an empty match right after the previous match.
    if (m[0].length === 0 && start === lastMatchEnd) continue;
    out += src.slice(last, start) + expand(template, m as RegExpExecArray);
    last = end;
    lastMatchEnd = end;
  }
  return out + src.slice(last);
}
