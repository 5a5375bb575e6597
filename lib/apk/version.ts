/**
 * APK versions and dependency constraints, compared exactly as apk-tools
 * 2.14 and later do (src/version.c): a version is a stream of tokens
 * (numbers, a letter, `_suffix[N]`, `~commit`, `-rN`) compared token by token.
 */

import { UserError } from "../errors.ts";

const enum Token {
  InitialDigit = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  CommitHash = 5,
  RevisionNo = 6,
  End = 7,
  Invalid = 8,
}

/** Suffix ranks: pre-release suffixes sort below none, the others above. */
const SUFFIXES: Record<string, number> = {
  alpha: 1,
  beta: 2,
  pre: 3,
  rc: 4,
  cvs: 6,
  svn: 7,
  git: 8,
  hg: 9,
  p: 10,
};
const SUFFIX_NONE = 5;

interface TokenState {
  token: Token;
  value: string;
  suffix: number;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/** A cursor over a version string, token by token (apk-tools' token_first/token_next). */
class Tokens {
  i = 0;
  t: TokenState = { token: Token.InitialDigit, value: "", suffix: 0 };
  constructor(readonly s: string) {
    this.digits();
  }

  private digits(): void {
    const start = this.i;
    while (isDigit(this.s[this.i])) this.i++;
    this.t.value = this.s.slice(start, this.i);
    if (!this.t.value) this.t.token = Token.Invalid;
  }

  private span(re: RegExp): string {
    const start = this.i;
    while (this.i < this.s.length && re.test(this.s[this.i])) this.i++;
    return this.s.slice(start, this.i);
  }

  next(): void {
    const t = this.t;
    if (this.i >= this.s.length) {
      t.token = Token.End;
      return;
    }
    const c = this.s[this.i];
    if (c >= "a" && c <= "z") {
      if (t.token > Token.Digit) return this.invalid();
      t.value = c;
      t.token = Token.Letter;
      this.i++;
    } else if (c === "." || isDigit(c)) {
      if (c === ".") {
        if (t.token > Token.Digit) return this.invalid();
        this.i++;
      }
      if (t.token === Token.InitialDigit || t.token === Token.Digit) t.token = Token.Digit;
      else if (t.token === Token.Suffix) t.token = Token.SuffixNo;
      else return this.invalid();
      this.digits();
    } else if (c === "_") {
      if (t.token > Token.SuffixNo) return this.invalid();
      this.i++;
      t.value = this.span(/[a-z]/);
      t.suffix = SUFFIXES[t.value] ?? 0;
      if (!t.suffix) return this.invalid();
      t.token = Token.Suffix;
    } else if (c === "~") {
      if (t.token >= Token.CommitHash) return this.invalid();
      this.i++;
      t.value = this.span(/[0-9a-fA-F]/);
      if (!t.value) return this.invalid();
      t.token = Token.CommitHash;
    } else if (c === "-") {
      if (t.token >= Token.RevisionNo || this.s[this.i + 1] !== "r") return this.invalid();
      this.i += 2;
      t.token = Token.RevisionNo;
      this.digits();
    } else {
      this.invalid();
    }
  }

  private invalid(): void {
    this.t.token = Token.Invalid;
  }
}

/** Compares digit strings as unsigned numbers of any length. */
function compareNumbers(a: string, b: string): number {
  const x = a.replace(/^0+(?=.)/, "");
  const y = b.replace(/^0+(?=.)/, "");
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** apk's blob sort: bytewise, then shorter first. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareTokens(a: TokenState, b: TokenState): number {
  switch (a.token) {
    case Token.Digit:
      // A leading zero makes the part a string, as in Gentoo's rules.
      if (a.value[0] === "0" || b.value[0] === "0") return compareStrings(a.value, b.value);
      return compareNumbers(a.value, b.value);
    case Token.InitialDigit:
    case Token.SuffixNo:
    case Token.RevisionNo:
      return compareNumbers(a.value, b.value);
    case Token.Letter:
      return compareStrings(a.value, b.value);
    case Token.Suffix:
      return Math.sign(a.suffix - b.suffix);
    default:
      return compareStrings(a.value, b.value);
  }
}

/**
 * Compares two versions as apk-tools does: negative when `a < b`, 0 when
 * equal, positive when `a > b`. With `fuzzy`, `b` is a prefix (the `~`
 * operator): `a` matches when all of `b`'s tokens are equal.
 */
export function compareVersions(a: string, b: string, fuzzy = false): number {
  const ta = new Tokens(a);
  const tb = new Tokens(b);
  while (ta.t.token === tb.t.token && ta.t.token < Token.End) {
    const r = compareTokens(ta.t, tb.t);
    if (r !== 0) return r;
    ta.next();
    tb.next();
  }
  if (ta.t.token === tb.t.token) return 0;
  if (tb.t.token === Token.End && fuzzy) return 0;
  if (ta.t.token === Token.Suffix && ta.t.suffix < SUFFIX_NONE) return -1;
  if (tb.t.token === Token.Suffix && tb.t.suffix < SUFFIX_NONE) return 1;
  if (ta.t.token > tb.t.token) return -1;
  if (tb.t.token > ta.t.token) return 1;
  return 0;
}

/** True when `v` is a version apk-tools accepts. */
export function isValidVersion(v: string): boolean {
  const t = new Tokens(v);
  while (t.t.token < Token.End) t.next();
  return t.t.token === Token.End;
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
  if (d.op === "~") return compareVersions(version, d.version, true) === 0;
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
