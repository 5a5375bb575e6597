/**
 * APK versions and dependency constraints, compared exactly as apk-tools
 * does (src/version.c): a version is a stream of tokens (numbers, a letter,
 * `_suffix[N]`, `-rN`) compared token by token.
 */

import { UserError } from "../errors.ts";

const enum Token {
  Invalid = -1,
  DigitOrZero = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  RevisionNo = 5,
  End = 6,
}

const PRE_SUFFIXES = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES = ["cvs", "svn", "git", "hg", "p"];

interface Cursor {
  s: string;
  i: number;
  type: Token;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isLower = (c: string | undefined) => c !== undefined && c >= "a" && c <= "z";

/** Decides what kind of token starts at the cursor (apk-tools' next_token). */
function nextToken(c: Cursor): void {
  let n = Token.Invalid;
  const ch = c.s[c.i];
  if (c.i >= c.s.length) n = Token.End;
  else if ((c.type === Token.Digit || c.type === Token.DigitOrZero) && isLower(ch)) {
    n = Token.Letter;
  } else if (c.type === Token.Letter && isDigit(ch)) n = Token.Digit;
  else if (c.type === Token.Suffix && isDigit(ch)) n = Token.SuffixNo;
  else {
    if (ch === ".") n = Token.DigitOrZero;
    else if (ch === "_") n = Token.Suffix;
    else if (ch === "-" && c.s[c.i + 1] === "r") {
      n = Token.RevisionNo;
      c.i++;
    }
    c.i++;
  }
  if (n < c.type) {
    const allowed = (n === Token.DigitOrZero && c.type === Token.Digit) ||
      (n === Token.Suffix && c.type === Token.SuffixNo) ||
      (n === Token.Digit && c.type === Token.Letter);
    if (!allowed) n = Token.Invalid;
  }
  c.type = n;
}

/** Reads the value of the current token and advances (apk-tools' get_token). */
function getToken(c: Cursor): number {
  if (c.i >= c.s.length) {
    c.type = Token.End;
    return 0;
  }
  let v = 0;
  let nt = Token.Invalid;
  const start = c.i;
  let i = c.i;
  switch (c.type) {
    case Token.DigitOrZero:
      if (c.s[i] === "0") {
        while (i < c.s.length && c.s[i] === "0") i++;
        nt = Token.Digit;
        v = -(i - start);
        break;
      }
    // falls through
    case Token.Digit:
    case Token.SuffixNo:
    case Token.RevisionNo:
      while (i < c.s.length && isDigit(c.s[i])) v = v * 10 + (c.s.charCodeAt(i++) - 48);
      break;
    case Token.Letter:
      v = c.s.charCodeAt(i++);
      break;
    case Token.Suffix: {
      const rest = c.s.slice(i);
      const pre = PRE_SUFFIXES.findIndex((p) => rest.startsWith(p));
      if (pre >= 0) {
        v = pre - PRE_SUFFIXES.length;
        i += PRE_SUFFIXES[pre].length;
        break;
      }
      const post = POST_SUFFIXES.findIndex((p) => rest.startsWith(p));
      if (post >= 0) {
        v = post;
        i += POST_SUFFIXES[post].length;
        break;
      }
      c.type = Token.Invalid;
      return -1;
    }
    default:
      c.type = Token.Invalid;
      return -1;
  }
  c.i = i;
  if (c.i >= c.s.length) c.type = Token.End;
  else if (nt !== Token.Invalid) c.type = nt;
  else nextToken(c);
  return v;
}

/**
 * Compares two versions: negative when `a < b`, 0 when equal, positive when
 * `a > b`. With `fuzzy`, `a` is a prefix pattern (the `~` operator): a
 * version matches when all of `a`'s tokens are equal.
 */
export function compareVersions(a: string, b: string, fuzzy = false): number {
  const ca: Cursor = { s: a, i: 0, type: Token.Digit };
  const cb: Cursor = { s: b, i: 0, type: Token.Digit };
  let av = 0;
  let bv = 0;
  while (ca.type === cb.type && ca.type !== Token.End && ca.type !== Token.Invalid && av === bv) {
    av = getToken(ca);
    bv = getToken(cb);
    if (fuzzy && (ca.type as Token) === Token.End && av === bv) return 0;
  }
  if (av < bv) return -1;
  if (av > bv) return 1;
  if (ca.type === cb.type) return 0;
  if (ca.type === Token.Suffix && getToken({ ...ca }) < 0) return -1;
  if (cb.type === Token.Suffix && getToken({ ...cb }) < 0) return 1;
  if (ca.type > cb.type) return -1;
  if (cb.type > ca.type) return 1;
  return 0;
}

/** True when `v` is a version apk-tools accepts. */
export function isValidVersion(v: string): boolean {
  if (!v || !isDigit(v[0])) return false;
  const c: Cursor = { s: v, i: 0, type: Token.Digit };
  while (c.type !== Token.End && c.type !== Token.Invalid) getToken(c);
  return c.type === Token.End;
}

/** A version operator of a dependency. */
export type Operator = "=" | "<" | ">" | "<=" | ">=" | "~" | "><";

/** A parsed dependency such as `so:libc.so.6`, `busybox>=1.36`, `!foo` or `bar@edge`. */
export interface Dependency {
  name: string;
  op?: Operator;
  version?: string;
  /** `!name`: the named package must not be installed. */
  conflict: boolean;
  /** `name@tag`: only from repositories tagged so. */
  tag?: string;
}

const DEP = /^(!?)([^<>=~@!\s]+)(?:@([^<>=~\s]+))?(?:(=~|~=|>=|<=|><|=|<|>|~)(\S+))?$/;

/** Parses a dependency string; throws on malformed input. */
export function parseDependency(text: string): Dependency {
  const m = DEP.exec(text.trim());
  if (!m) throw new UserError(`malformed dependency "${text}"`);
  let op = m[4] as string | undefined;
  if (op === "=~" || op === "~=") op = "~";
  const dep: Dependency = { name: m[2], conflict: m[1] === "!" };
  if (m[3]) dep.tag = m[3];
  if (op) {
    dep.op = op as Operator;
    dep.version = m[5];
  }
  return dep;
}

/** The dependency as apk-tools writes it. */
export function formatDependency(d: Dependency): string {
  const tag = d.tag ? `@${d.tag}` : "";
  return `${d.conflict ? "!" : ""}${d.name}${tag}${d.op ? `${d.op}${d.version}` : ""}`;
}

/** True when `version` satisfies the dependency's version constraint (ignores name). */
export function satisfiesVersion(d: Dependency, version: string): boolean {
  if (!d.op || d.version === undefined) return true;
  if (d.op === "><") return true;
  if (d.op === "~") return compareVersions(d.version, version, true) === 0;
  const c = compareVersions(version, d.version);
  switch (d.op) {
    case "=":
      return c === 0;
    case "<":
      return c < 0;
    case ">":
      return c > 0;
    case "<=":
      return c <= 0;
    case ">=":
      return c >= 0;
  }
}
