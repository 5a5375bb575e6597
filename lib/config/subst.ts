/**
 * `${{name}}` substitution and `if:` conditions, as melange's cond package
 * defines them: names are letters, digits, `.`, `-` and `_`; a condition is
 * comparisons (`==`, `!=`) of quoted strings and variables joined by `&&`
 * and `||` (left to right, no precedence) with parentheses.
 */

/** Variables by name (`package.name`, `vars.x`, `inputs.y`). */
export type Vars = Map<string, string>;

const isWs = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r";
const isVarChar = (c: string) => /[A-Za-z0-9._-]/.test(c);

/** Replaces every `${{name}}` in `text`; throws listing the names that are not defined. */
export function substitute(text: string, vars: Vars, quote = false): string {
  if (!text.includes("${{")) return text;
  let out = "";
  let i = 0;
  const missing: string[] = [];
  while (i < text.length) {
    const at = text.indexOf("${{", i);
    if (at < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, at);
    i = at + 3;
    while (i < text.length && isWs(text[i])) i++;
    const start = i;
    while (i < text.length && isVarChar(text[i])) i++;
    const name = text.slice(start, i);
    while (i < text.length && isWs(text[i])) i++;
    if (!name) throw new Error(`empty variable name in "${excerpt(text, at)}"`);
    if (text.slice(i, i + 2) !== "}}") {
      throw new Error(`unterminated variable reference \${{${name}`);
    }
    i += 2;
    const value = vars.get(name);
    if (value === undefined) missing.push(name);
    else out += quote ? goQuote(value) : value;
  }
  if (missing.length) {
    throw new Error(
      `undefined variable${missing.length > 1 ? "s" : ""} ${
        missing.map((m) => `\${{${m}}}`).join(", ")
      }`,
    );
  }
  return out;
}

/**
 * melange's parse-time replacement (a Go `strings.Replacer`): each exact
 * `${{name}}`, no spaces inside the braces, whose name is in `vars` becomes
 * its value, in one pass (a value is not looked into again). Anything else,
 * unknown names and malformed references included, stays as written.
 */
export function replaceKnown(text: string, vars: Vars): string {
  let at = text.indexOf("${{");
  if (at < 0) return text;
  let out = "";
  let i = 0;
  while (at >= 0) {
    const end = text.indexOf("}}", at + 3);
    if (end < 0) break;
    const value = vars.get(text.slice(at + 3, end));
    if (value === undefined) {
      out += text.slice(i, at + 3);
      i = at + 3;
    } else {
      out += text.slice(i, at) + value;
      i = end + 2;
    }
    at = text.indexOf("${{", i);
  }
  return out + text.slice(i);
}

/** {@link replaceKnown} on every string inside `value`, which is not changed. */
// deno-lint-ignore no-explicit-any
export function replaceKnownDeep(value: any, vars: Vars): any {
  if (typeof value === "string") return replaceKnown(value, vars);
  if (Array.isArray(value)) return value.map((v) => replaceKnownDeep(v, vars));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) out[k] = replaceKnownDeep(value[k], vars);
    return out;
  }
  return value;
}

const GO_ESCAPES: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  "\\": "\\\\",
  '"': '\\"',
};

/**
 * Go's `strconv.Quote`, which melange uses to put a variable's value into an
 * `if:` expression: printable characters as they are, the rest escaped.
 */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const esc = GO_ESCAPES[ch];
    if (esc) out += esc;
    else if (ch === " " || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) out += ch;
    else {
      const cp = ch.codePointAt(0)!;
      out += cp < 0x80
        ? `\\x${cp.toString(16).padStart(2, "0")}`
        : cp < 0x10000
        ? `\\u${cp.toString(16).padStart(4, "0")}`
        : `\\U${cp.toString(16).padStart(8, "0")}`;
    }
  }
  return out + '"';
}

function excerpt(text: string, at: number): string {
  return text.slice(at, at + 30).split("\n")[0];
}

/** Evaluates an `if:` expression whose variables are already substituted (quoted). */
export function evaluate(expr: string, vars: Vars = new Map()): boolean {
  let pos = 0;
  const ws = () => {
    while (pos < expr.length && isWs(expr[pos])) pos++;
  };
  const fail = (msg: string): never => {
    throw new Error(`${msg} at position ${pos} of "${expr}"`);
  };
  const value = (): string => {
    ws();
    if (pos >= expr.length) fail("unexpected end of expression");
    const q = expr[pos];
    if (q === "'" || q === '"') {
      pos++;
      let s = "";
      while (pos < expr.length && expr[pos] !== q) {
        if (expr[pos] === "\\" && pos + 1 < expr.length) {
          pos++;
          const c = expr[pos];
          s += c === "n"
            ? "\n"
            : c === "t"
            ? "\t"
            : c === "\\" || c === "'" || c === '"'
            ? c
            : `\\${c}`;
        } else s += expr[pos];
        pos++;
      }
      if (pos >= expr.length) fail("unterminated string");
      pos++;
      return s;
    }
    if (expr.startsWith("${{", pos)) {
      pos += 3;
      ws();
      const start = pos;
      while (pos < expr.length && isVarChar(expr[pos])) pos++;
      const name = expr.slice(start, pos);
      if (!name) fail("empty variable name");
      ws();
      if (!expr.startsWith("}}", pos)) fail(`unterminated variable reference "${name}"`);
      pos += 2;
      const v = vars.get(name);
      if (v === undefined) fail(`undefined variable \${{${name}}}`);
      return v!;
    }
    return fail(`unexpected character "${expr[pos]}"`);
  };
  const comparison = (): boolean => {
    const lhs = value();
    ws();
    const op = expr.slice(pos, pos + 2);
    if (op !== "==" && op !== "!=") fail(`expected == or !=`);
    pos += 2;
    const rhs = value();
    return op === "==" ? lhs === rhs : lhs !== rhs;
  };
  const atom = (): boolean => {
    ws();
    if (expr[pos] === "(") {
      pos++;
      const r = disjunction();
      ws();
      if (expr[pos] !== ")") fail("expected )");
      pos++;
      return r;
    }
    return comparison();
  };
  const disjunction = (): boolean => {
    let r = atom();
    for (;;) {
      ws();
      const op = expr.slice(pos, pos + 2);
      if (op !== "&&" && op !== "||") return r;
      pos += 2;
      const rhs = atom();
      r = op === "&&" ? r && rhs : r || rhs;
    }
  };
  const result = disjunction();
  ws();
  if (pos !== expr.length) fail("unexpected trailing input");
  return result;
}
