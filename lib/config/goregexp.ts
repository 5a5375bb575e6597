/**
 * Go (RE2) regular expressions and `Regexp.ReplaceAllString`, for
 * `var-transforms`. Matching is re2js, a port of RE2: Go's syntax
 * (`(?P<name>`, flags, POSIX classes, `\Q...\E`, `\pL`) and semantics, in
 * time linear in the input, so a pattern such as `(a+)+$` cannot make a
 * build file hang. The replacement is Go's template syntax, where `$1x`
 * names the group "1x".
 *
 * re2js is loaded by {@link loadGoRegexp}, not imported statically: most
 * build files have no var-transforms, and importing it costs a one-file
 * `compile` about 6 ms. lib/config/mod.ts loads it for every user of the
 * module; `melange2 compile` only when a file has var-transforms.
 */
import type { RE2JS } from "re2js";

let engine: typeof RE2JS | undefined;

/** Loads the regexp engine (once); {@link goReplaceAll} needs it. */
export async function loadGoRegexp(): Promise<void> {
  engine ??= (await import("re2js")).RE2JS;
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
function expand(template: string, group: (num: number, name: string) => string): string {
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
    out += group(x.num, x.name);
  }
}

/** Compiles a Go regexp; throws naming the pattern on syntax errors. */
function compileGo(pattern: string): RE2JS {
  if (!engine) throw new Error("internal: var-transforms compiled before loadGoRegexp()");
  try {
    return engine.compile(pattern);
  } catch (err) {
    const shown = pattern.length > 80 ? `${pattern.slice(0, 80)}...` : pattern;
    const why = (err as Error).message.slice(0, 200);
    throw new Error(`invalid regular expression "${shown}": ${why}`);
  }
}

/**
 * Go's `re.ReplaceAllString(src, template)`, its loop as Go has it: search
 * from just past the last match, and do not replace an empty match right
 * after a match.
 */
export function goReplaceAll(src: string, pattern: string, template: string): string {
  const re = compileGo(pattern);
  const names = re.namedGroups() as Record<string, number>;
  const count = re.groupCount();
  const m = re.matcher(src);
  let out = "";
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length && m.find(searchPos)) {
    const start = m.start();
    const end = m.end();
    out += src.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) {
      out += expand(template, (num, name) => {
        const i = num >= 0 ? num : names[name] ?? -1;
        return i >= 0 && i <= count ? m.group(i) ?? "" : "";
      });
    }
    lastMatchEnd = end;
    // Advance past the match, and always by at least one character.
    const width = (src.codePointAt(searchPos) ?? 0) > 0xffff ? 2 : 1;
    searchPos = Math.max(searchPos + width, end);
  }
  return out + src.slice(lastMatchEnd);
}
