/** Go's regexp and template syntax for var-transforms, and if: quoting as melange does it. */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { goReplaceAll } from "../lib/config/goregexp.ts";
import { evaluate, goQuote, substitute } from "../lib/config/subst.ts";
import { compileSync, loadConfigText } from "../lib/config/mod.ts";
import { UserError } from "../lib/errors.ts";

/** Fails unless `fn` throws an Error; `what` names the case. */
function refuses(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (err) {
    assert(err instanceof Error, what);
    return;
  }
  throw new Error(`accepted: ${what}`);
}

// [input, Go pattern, Go template, what Go's ReplaceAllString gives]
const CASES: [string, string, string, string][] = [
  ["1.2.3", "\\.", "_", "1_2_3"],
  ["6.5.0", "^(\\d+)\\.(\\d+)\\.(\\d+)$", "${1}_${2}", "6_5"],
  ["2024.01.02", "^(\\d{4})\\.(\\d{2})", "$1-$2", "2024-01.02"],
  // Templates: `$1x` is the (missing) group "1x"; `$$` is a dollar; `$01` is a name.
  ["abc", "(b)", "$1x", "ac"],
  ["abc", "(b)", "${1}x", "abxc"],
  ["abc", "b", "$$", "a$c"],
  ["abc", "(b)", "$01", "ac"],
  ["abc", "(b)", "${a-b}", "a${a-b}c"],
  ["abc", "(b)", "$", "a$c"],
  ["1.2", "(?P<major>\\d+)\\.(?P<minor>\\d+)", "$minor.$major", "2.1"],
  ["1.2", "(?<major>\\d+)\\.(?<minor>\\d+)", "${minor}x", "2x"],
  // An empty match right after a match is not replaced.
  ["baaac", "a*", "-", "-b-c-"],
  ["a", "", "-", "-a-"],
  // Flags at the start, in the middle, scoped, and ungreedy.
  ["abc", "(?i)ABC", "x", "x"],
  ["aB", "a(?i)b", "x", "x"],
  ["AB", "a(?i)b", "x", "AB"],
  ["ABc", "(?i:ab)c", "x", "x"],
  ["C", "(a(?i)b|c)", "x", "x"],
  ["aaa", "(?U)a+", "x", "xxx"],
  ["aaa", "(?U)a+?", "x", "x"],
  // `.` stops only at \n; `^` and `$` are text ends unless (?m); \A and \z.
  ["a\rb", "a.b", "x", "x"],
  ["a\nb", "a.b", "x", "a\nb"],
  ["a\nb", "(?s)a.b", "x", "x"],
  ["a\n", "a$", "x", "a\n"],
  ["a\na", "(?m)^a", "x", "x\nx"],
  ["a\na", "\\Aa", "x", "x\na"],
  ["a\na", "a\\z", "x", "a\nx"],
  // Classes: POSIX, ASCII \s, \pL, a leading ], negated POSIX.
  ["v12", "[[:digit:]]+", "N", "vN"],
  ["a1b", "[[:^alpha:]]", "_", "a_b"],
  ["a\vb", "a\\sb", "x", "a\vb"],
  ["a b", "a\\sb", "x", "x"],
  ["héllo1", "\\pL+", "x", "x1"],
  ["héllo1", "\\p{Latin}+", "x", "x1"],
  ["a]", "[]a]+", "x", "x"],
  // Literals: \Q..\E, a { that is not a repeat, octal and \x{..}, escaped punctuation.
  ["a.b axb", "\\Qa.b\\E", "x", "x axb"],
  ["abbb", "\\Qab\\E*", "x", "x"],
  ["x{", "x{", "y", "y"],
  ["x{1", "x{1", "y", "y"],
  ["A", "\\101", "x", "x"],
  ["A", "\\x{41}", "x", "x"],
  ["a_b-c", "\\_|\\-", "", "abc"],
  ["foo-1_2", "[-_]", ".", "foo.1.2"],
  // A group name may start with a digit in Go (checked with Go 1.2x's regexp).
  ["ba", "(?<1x>a)", "[${1x}]", "b[a]"],
  // Nested repetition is linear time in RE2: no catastrophic backtracking.
  ["a".repeat(5000) + "!", "(a+)+$", "x", "a".repeat(5000) + "!"],
  ["a".repeat(5000), "(a|aa)+$", "x", "x"],
];

Deno.test("goregexp: ReplaceAllString gives what Go gives", () => {
  for (const [src, re, tmpl, want] of CASES) {
    assertEquals(goReplaceAll(src, re, tmpl), want, `${JSON.stringify(src)} ${re} ${tmpl}`);
  }
});

Deno.test("goregexp: patterns Go refuses are refused", () => {
  for (const re of ["(", "a)", "*a", "a**", "[a", "\\", "a{2,1}", "\\8"]) {
    refuses(() => goReplaceAll("a", re, ""), re);
  }
});

Deno.test("goregexp: a bad var-transform is a located UserError", () => {
  const err = assertThrows(
    () =>
      compileSync(
        loadConfigText(
          "package:\n  name: d\n  version: 1\nvar-transforms:\n  - from: x\n    match: '('\n    replace: y\n    to: z\n",
          "d.yaml",
        ),
        { arch: "x86_64" },
      ),
    UserError,
  );
  assertStringIncludes(err.message, "d.yaml:5:5: var-transforms[0]: invalid regular expression");
});

Deno.test("goregexp: var-transforms chain, and may read vars and each other", () => {
  const c = compileSync(
    loadConfigText(
      `package:
  name: d
  version: 1.2.3_rc4
vars:
  base: v\${{package.version}}
var-transforms:
  - from: \${{vars.base}}
    match: _rc(\\d+)$
    replace: -rc.$1
    to: semver
  - from: \${{vars.semver}}
    match: ^v
    replace: ""
    to: bare
pipeline:
  - runs: echo \${{vars.semver}} \${{vars.bare}}
`,
      "d.yaml",
    ),
    { arch: "x86_64" },
  );
  assertEquals(c.pipeline[0].runs, "echo v1.2.3-rc.4 1.2.3-rc.4");
});

Deno.test("conditions: values are quoted as Go's strconv.Quote and read back by the parser", () => {
  assertEquals(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assertEquals(goQuote("tab\there\n"), '"tab\\there\\n"');
  assertEquals(goQuote("\x01é"), '"\\x01é"');
  const vars = new Map([["v", 'it\'s "quoted"\n'], ["w", "x"]]);
  assert(evaluate(substitute(`\${{v}} == 'it\\'s "quoted"\n'`, vars, true)));
  assert(evaluate(substitute("${{w}} != 'y' && (${{w}} == 'x' || 'a' == 'b')", vars, true)));
  // No precedence: left to right, as melange's parser does.
  assert(evaluate("'a' == 'a' || 'a' == 'b' && 'a' == 'b'") === false);
  for (const bad of ["'a' = 'b'", "('a' == 'a'", "'a' == 'a' extra", "== 'a'", "'a"]) {
    refuses(() => evaluate(bad), bad);
  }
});
