/** .melangeignore: gitignore lines as the local source's exclude patterns. */
import { assertEquals } from "./assert.ts";
import { ignorePatterns } from "../lib/build/melangeignore.ts";
import { PatternMatcher } from "../lib/buildkit/patterns.ts";

Deno.test(".melangeignore: gitignore patterns translated for BuildKit's local source", () => {
  const patterns = ignorePatterns(
    "# built things\n*.log\n\n/build/\ndocs/*.md\n!docs/keep.md\n\\#notes\nnode_modules/\n",
  );
  assertEquals(patterns, [
    "**/*.log",
    "build/",
    "docs/*.md",
    "!docs/keep.md",
    "**/#notes",
    "**/node_modules/",
  ]);
  const m = new PatternMatcher(patterns);
  const excluded = (p: string) => m.matches(p);
  assertEquals(excluded("x.log"), true, "at the root");
  assertEquals(excluded("a/b/x.log"), true, "at any depth");
  assertEquals(excluded("build/out.o"), true);
  assertEquals(excluded("src/build/out.o"), false, "a leading / anchors at the root");
  assertEquals(excluded("docs/a.md"), true);
  assertEquals(excluded("docs/keep.md"), false, "! re-includes");
  assertEquals(excluded("src/docs/a.md"), false, "a pattern with a / is anchored");
  assertEquals(excluded("web/node_modules/x/index.js"), true);
  assertEquals(excluded("main.go"), false);
});
