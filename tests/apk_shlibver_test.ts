/**
 * melange's determineShlibVersion decisions on index data: the variable's
 * values, the glibc loader, a library nobody provides, one the build itself
 * provides, a provider whose so-ver version parses (none, melange's inverted
 * test) or does not (the installed version), a provider newer in build time
 * but older in version (melange's error), providers not installed (skipped).
 */
import { assertEquals, assertThrows } from "./assert.ts";
import { emptyPackage } from "../lib/apk/index.ts";
import { universe } from "../lib/apk/resolve.ts";
import { shlibContext, shlibVersion, versionedShlibDependsEnabled } from "../lib/apk/shlibver.ts";

const pkg = (name: string, version: string, buildTime: number, provides: string[]) => ({
  ...emptyPackage(name, version, "x86_64"),
  buildTime,
  provides,
});

const u = universe([{
  repository: { url: "/repo" },
  arch: "x86_64",
  packages: [
    pkg("glibc", "2.36-r0", 10, ["so:libc.so.6=6", "so-ver:libc.so.6=2.36-r0"]),
    pkg("glibc", "2.35-r0", 5, ["so:libc.so.6=6", "so-ver:libc.so.6=2.35-r0"]),
    pkg("ld", "1-r0", 1, ["so:ld-linux-x86-64.so.2=2"]),
    pkg("oddver", "1.0-r0", 1, ["so:libodd.so.1=1", "so-ver:libodd.so.1=not-a-version"]),
    pkg("libbar", "1.0-r0", 1, ["so:libbar.so.1=1"]),
    pkg("other-bar", "9.0-r0", 99, ["so:libbar.so.1=1"]),
    pkg("old-but-new", "0.5-r0", 50, ["so:libnew.so.1=1"]),
    pkg("old-but-new", "0.9-r0", 40, ["so:libnew.so.1=1"]),
  ],
}], "x86_64");
const installed = [
  { name: "glibc", version: "2.36-r0" },
  { name: "ld", version: "1-r0" },
  { name: "oddver", version: "1.0-r0" },
  { name: "libbar", version: "1.0-r0" },
  { name: "old-but-new", version: "0.9-r0" },
];

Deno.test("shlibver: the variable is on when it is set to anything", () => {
  assertEquals(versionedShlibDependsEnabled(undefined), false);
  assertEquals(versionedShlibDependsEnabled(""), false);
  assertEquals(versionedShlibDependsEnabled("0"), true);
});

Deno.test("shlibver: determineShlibVersion's cases", () => {
  const ctx = shlibContext(u, installed, ["hello", "hello-dev"]);
  const v = (lib: string) => shlibVersion(ctx, lib, "3.0-r1");
  assertEquals(v("ld-linux-x86-64.so.2"), "");
  // Nothing provides it: the build's own version.
  assertEquals(v("libnobody.so.1"), "3.0-r1");
  // glibc's so-ver version parses: melange's inverted check finds no versioned provide.
  assertEquals(v("libc.so.6"), "");
  // A so-ver version apko cannot parse is the one melange takes as versioned.
  assertEquals(v("libodd.so.1"), "1.0-r0");
  // The newest-built provider (other-bar) is not installed: skipped for libbar.
  assertEquals(v("libbar.so.1"), "");
  assertThrows(
    () => v("libnew.so.1"),
    Error,
    "could not find suitable package providing library so-ver:libnew.so.1>=0.9-r0 " +
      "(found so-ver:libnew.so.1=0.5-r0 instead)",
  );
  // A provider being built is @CURRENT@: the build's version.
  const building = shlibContext(u, installed, ["libbar"]);
  assertEquals(shlibVersion(building, "libbar.so.1", "2.0-r0"), "2.0-r0");
});
