/**
 * `--env-file`: a dotenv file read as melange reads it (godotenv 1.5):
 * `KEY=value` or `KEY: value`, an optional `export `, `#` comments (a `#`
 * after a space ends an unquoted value), single quotes taken literally,
 * double quotes with `\n`/`\r` and backslash escapes, values that span lines
 * inside quotes, and `$VAR`/`${VAR}` (upper-case names) replaced by a value
 * defined earlier in the file, or nothing.
 */
import { UserError } from "../errors.ts";

// godotenv's "space": blanks that are not line ends.
const isSpace = (c: string) =>
  c === "\t" || c === "\v" || c === "\f" || c === "\r" || c === " " || c === "\x85" ||
  c === "\xa0";
const isLineEnd = (c: string) => c === "\n" || c === "\r";
const EXPAND = /(\\)?(\$)(\()?\{?([A-Z0-9_]+)?\}?/g;

function expandVariables(v: string, vars: Record<string, string>): string {
  return v.replace(EXPAND, (s, esc: string | undefined, _d, _p, name: string | undefined) => {
    if (esc === "\\") return s.slice(1);
    if (name) return vars[name] ?? "";
    return s;
  });
}

function expandEscapes(v: string): string {
  return v.replace(/\\[\s\S]/g, (m) => m === "\\n" ? "\n" : m === "\\r" ? "\r" : m)
    .replace(/\\([^$])/g, "$1");
}

/** Reads a dotenv file's text; errors name `file:line:col`. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const src = text.replaceAll("\r\n", "\n");
  const out: Record<string, string> = {};
  let i = 0;
  const fail = (at: number, msg: string): never => {
    const before = src.slice(0, at).split("\n");
    throw new UserError(`${file}:${before.length}:${before[before.length - 1].length + 1}: ${msg}`);
  };
  for (;;) {
    // The start of the next statement: skip blank space and comment lines.
    while (i < src.length && /\s/u.test(src[i])) i++;
    if (i >= src.length) break;
    if (src[i] === "#") {
      const nl = src.indexOf("\n", i);
      if (nl < 0) break;
      i = nl;
      continue;
    }
    // The key, after an optional `export `.
    while (i < src.length && isSpace(src[i])) i++;
    if (src.startsWith("export", i) && isSpace(src[i + 6] ?? "")) {
      i += 6;
      while (i < src.length && isSpace(src[i])) i++;
    }
    const keyStart = i;
    let key: string | undefined;
    for (; i < src.length; i++) {
      const c = src[i];
      if (isSpace(c)) continue;
      if (c === "=" || c === ":") {
        key = src.slice(keyStart, i).trimEnd();
        i++;
        break;
      }
      if (c !== "_" && c !== "." && !/[\p{L}\p{N}]/u.test(c)) {
        fail(i, `unexpected character "${c}" in variable name; expected KEY=VALUE`);
      }
    }
    if (key === undefined) fail(keyStart, "expected KEY=VALUE");
    if (key === "") break; // godotenv stops reading at an empty key
    while (i < src.length && isSpace(src[i])) i++;
    const q = src[i];
    if (q === '"' || q === "'") {
      let end = i + 1;
      while (end < src.length && (src[end] !== q || src[end - 1] === "\\")) end++;
      if (end >= src.length) fail(i, `unterminated quoted value`);
      let value = src.slice(i, end);
      // godotenv trims every quote character from both ends.
      while (value.endsWith(q)) value = value.slice(0, -1);
      while (value.startsWith(q)) value = value.slice(1);
      if (q === '"') value = expandVariables(expandEscapes(value), out);
      out[key!] = value;
      i = end + 1;
      continue;
    }
    let eol = i;
    while (eol < src.length && !isLineEnd(src[eol])) eol++;
    const line = src.slice(i, eol);
    // A comment starts at the last `#` that follows a space.
    let endOfVar = line.length;
    for (let k = line.length - 1; k > 0; k--) {
      if (line[k] === "#" && isSpace(line[k - 1])) {
        endOfVar = k;
        break;
      }
    }
    let value = "";
    if (!(endOfVar === line.length && line.startsWith("#"))) {
      value = line.slice(0, endOfVar);
      let a = 0;
      let b = value.length;
      while (a < b && isSpace(value[a])) a++;
      while (b > a && isSpace(value[b - 1])) b--;
      value = value.slice(a, b);
    }
    out[key!] = expandVariables(value, out);
    i = eol;
  }
  return out;
}
