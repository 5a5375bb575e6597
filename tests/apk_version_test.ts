/** Version comparison and dependency syntax, as apk-tools defines them. */
import { assert, assertEquals, assertThrows } from "./assert.ts";
import {
  compareVersions,
  formatDependency,
  isValidVersion,
  parseDependency,
  satisfiesVersion,
} from "../lib/apk/version.ts";

/** Each list is in ascending order; every pair must compare that way. */
const ASCENDING = [
  ["1.0_alpha", "1.0_alpha1", "1.0_alpha2", "1.0_beta", "1.0_pre", "1.0_rc", "1.0_rc1", "1.0"],
  ["1.0", "1.0_cvs", "1.0_svn", "1.0_git", "1.0_hg", "1.0_p", "1.0_p1", "1.0.1"],
  ["1.0", "1.0a", "1.0b", "1.0.1", "1.1", "1.10", "2"],
  ["1.001", "1.01", "1.1"], // leading zeros compare lower, as in apk-tools
  ["1.0-r0", "1.0-r1", "1.0-r2", "1.0-r10", "1.0.1-r0"],
  ["0_git20230101", "0_git20230102", "0.1"],
  ["2.36-r0", "2.36-r1", "2.37-r0"],
  ["20230201-r23", "20240101-r0"],
];

Deno.test("version: the orders apk-tools defines", () => {
  for (const list of ASCENDING) {
    for (let i = 0; i < list.length; i++) {
      for (let j = 0; j < list.length; j++) {
        const want = Math.sign(i - j);
        assertEquals(
          Math.sign(compareVersions(list[i], list[j])),
          want,
          `${list[i]} vs ${list[j]}`,
        );
      }
    }
  }
});

Deno.test("version: equal spellings and validity", () => {
  assertEquals(compareVersions("1.2.3", "1.2.3"), 0);
  assertEquals(compareVersions("1.2.3-r0", "1.2.3-r0"), 0);
  assert(isValidVersion("1.2.3_rc4-r5"));
  assert(isValidVersion("0_git20230101-r0"));
  assert(!isValidVersion("v1.2"));
  assert(!isValidVersion("1.2_foo"));
  assert(!isValidVersion(""));
});

Deno.test("version: constraints =, <, >, <=, >=, ~ and the any operator", () => {
  const ok = (dep: string, v: string) => satisfiesVersion(parseDependency(dep), v);
  assert(ok("a=1.2-r0", "1.2-r0"));
  assert(!ok("a=1.2-r0", "1.2-r1"));
  assert(ok("a>=1.2", "1.2") && ok("a>=1.2", "1.3") && !ok("a>=1.2", "1.1"));
  assert(ok("a<=1.2", "1.2") && !ok("a<=1.2", "1.2.1"));
  assert(ok("a>1.2", "1.2.1") && !ok("a>1.2", "1.2"));
  assert(ok("a<1.2", "1.1.9") && !ok("a<1.2", "1.2"));
  assert(ok("a~1.2", "1.2.3") && ok("a~1.2", "1.2-r4") && ok("a~1.2", "1.2"));
  assert(!ok("a~1.2", "1.20") && !ok("a~1.2", "1.3"));
  assert(ok("a=~1.2", "1.2.9"));
  assert(ok("a><1", "7"));
  assert(ok("a", "anything"));
});

Deno.test("version: dependency strings parse and print back", () => {
  for (
    const text of [
      "busybox",
      "so:libc.so.6",
      "cmd:sh",
      "pc:zlib>=1.2",
      "!foo",
      "bar@edge",
      "baz@edge>=2",
      "/bin/sh",
    ]
  ) {
    assertEquals(formatDependency(parseDependency(text)), text);
  }
  const d = parseDependency("!libfoo<2");
  assertEquals([d.conflict, d.name, d.op, d.version], [true, "libfoo", "<", "2"]);
  assertEquals(parseDependency("x@testing").tag, "testing");
  assertThrows(() => parseDependency("a b"), Error, "malformed dependency");
});
