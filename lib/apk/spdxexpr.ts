/**
 * SPDX license expressions (SPDX 2.3, annex D) checked against the SPDX
 * license and exception lists, with spdx-expression-parse's rules: ids as
 * listed (deprecated ones too), `+` right after an id, `WITH` an exception,
 * `AND` binding tighter than `OR`, parentheses, `LicenseRef-` and
 * `DocumentRef-...:LicenseRef-`. Written here rather than taken from
 * spdx-expression-parse because that package `require`s its lists as bare
 * JSON packages, which `deno bundle` (the release binary and the image)
 * cannot resolve; the lists themselves are the npm packages' JSON files.
 */
import licenseIds from "spdx-license-ids/index.json" with { type: "json" };
import deprecatedIds from "spdx-license-ids/deprecated.json" with { type: "json" };
import exceptionIds from "spdx-exceptions/index.json" with { type: "json" };

const LICENSES = new Set<string>([...licenseIds, ...deprecatedIds]);
const EXCEPTIONS = new Set<string>(exceptionIds);
/** Deeper nesting is refused rather than followed (expressions are written by hand). */
const MAX_DEPTH = 64;

type Kind = "op" | "docref" | "licref" | "license" | "exception";
interface Token {
  kind: Kind;
  text: string;
}

/** Operators first, case-insensitive and without a word boundary, as the reference scans. */
const OPERATOR = /WITH|AND|OR|\(|\)|:|\+/iy;
const IDSTRING = /[A-Za-z0-9.-]+/y;

/** Where the reference throws: the expression is not valid. */
class Invalid extends Error {}

/** The tokens of `source` (spaces between them; no other white space). */
function scan(source: string): Token[] {
  const out: Token[] = [];
  let at = 0;
  const read = (re: RegExp): string | undefined => {
    re.lastIndex = at;
    const m = re.exec(source);
    if (!m) return undefined;
    at += m[0].length;
    return m[0];
  };
  while (at < source.length) {
    while (source[at] === " ") at++;
    if (at >= source.length) break;
    const op = read(OPERATOR);
    if (op) {
      if (op === "+" && at > 1 && source[at - 2] === " ") throw new Invalid("space before +");
      out.push({ kind: "op", text: op.toUpperCase() });
      continue;
    }
    const ref = source.startsWith("DocumentRef-", at)
      ? "docref"
      : source.startsWith("LicenseRef-", at)
      ? "licref"
      : undefined;
    if (ref) {
      at += ref === "docref" ? "DocumentRef-".length : "LicenseRef-".length;
      const id = read(IDSTRING);
      if (!id) throw new Invalid("expected an idstring");
      out.push({ kind: ref, text: id });
      continue;
    }
    const id = read(IDSTRING);
    if (id && LICENSES.has(id)) out.push({ kind: "license", text: id });
    else if (id && EXCEPTIONS.has(id)) out.push({ kind: "exception", text: id });
    else throw new Invalid(`unexpected ${source[at]}`);
  }
  return out;
}

/**
 * Whether `license` is an SPDX license expression of listed ids. The parser
 * follows the reference's steps one for one, quirks included (an empty
 * `()` before an atom is skipped there, so it is here).
 */
export function isSpdxExpression(expression: string): boolean {
  try {
    const toks = scan(expression);
    let i = 0;
    let depth = 0;
    const op = (text: string) => {
      const t = toks[i];
      if (t?.kind === "op" && t.text === text) return ++i > 0;
      return false;
    };
    const need = (t: Token | undefined): Token => {
      if (!t) throw new Invalid("unexpected end");
      return t;
    };
    const licenseRef = (): boolean => {
      const begin = i;
      if (need(toks[i]).kind === "docref") {
        i++;
        if (!op(":")) throw new Invalid("expected : after DocumentRef-");
      }
      if (need(toks[i]).kind === "licref") return ++i > 0;
      i = begin;
      return false;
    };
    const license = (): boolean => {
      if (toks[i]?.kind !== "license") return false;
      i++;
      op("+");
      if (op("WITH")) {
        if (toks[i]?.kind !== "exception") throw new Invalid("expected an exception after WITH");
        i++;
      }
      return true;
    };
    const parenthesized = (): boolean => {
      if (!op("(")) return false;
      if (++depth > MAX_DEPTH) throw new Invalid("nested too deep");
      const inner = binary("OR");
      depth--;
      if (!op(")")) throw new Invalid("expected )");
      return inner;
    };
    const atom = () => parenthesized() || licenseRef() || license();
    const binary = (which: "AND" | "OR"): boolean => {
      const next = () => (which === "OR" ? binary("AND") : atom());
      if (!next()) return false;
      while (op(which)) {
        if (!next()) throw new Invalid("expected an expression");
      }
      return true;
    };
    return binary("OR") && i === toks.length;
  } catch (err) {
    if (err instanceof Invalid) return false;
    throw err;
  }
}
