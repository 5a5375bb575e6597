/** Resolution against the real Alpine index and small hand-written universes. */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { readFileSync } from "node:fs";
import { type ApkPackage, emptyPackage, readIndexArchive } from "../lib/apk/index.ts";
import { resolve, universe } from "../lib/apk/resolve.ts";
import type { RepositoryIndex } from "../lib/apk/repository.ts";
import { haveShared, sharedPath } from "./shared.ts";

const shared = { ignore: !haveShared };

async function alpine(): Promise<RepositoryIndex[]> {
  const bytes = readFileSync(sharedPath("fixtures", "alpine", "alpine-316", "APKINDEX.tar.gz"));
  const packages = await readIndexArchive(bytes, new Map(), {
    allowUntrusted: true,
    source: "alpine-316",
  });
  return [{ repository: { url: "alpine-316" }, arch: "x86_64", packages }];
}

// Derived by hand from alpine-316's index: each name's D: list followed,
// virtuals (ifupdown-any, /bin/sh, so:...) given to their providers, and
// ifupdown-any going to ifupdown-ng (provider_priority 900 beats 200 and 100).
const CLOSURES: Record<string, string[]> = {
  "alpine-base": [
    "alpine-base",
    "alpine-baselayout",
    "alpine-baselayout-data",
    "alpine-conf",
    "alpine-keys",
    "apk-tools",
    "busybox",
    "busybox-initscripts",
    "busybox-suid",
    "ca-certificates-bundle",
    "ifupdown-ng",
    "libc-utils",
    "libcrypto1.1",
    "libssl1.1",
    "mdev-conf",
    "musl",
    "musl-utils",
    "openrc",
    "scanelf",
    "zlib",
  ],
  busybox: ["busybox", "musl"],
  "build-base": [
    "binutils",
    "build-base",
    "file",
    "fortify-headers",
    "g++",
    "gcc",
    "gmp",
    "isl22",
    "libatomic",
    "libc-dev",
    "libgcc",
    "libgomp",
    "libmagic",
    "libstdc++",
    "make",
    "mpc1",
    "mpfr4",
    "musl",
    "musl-dev",
    "patch",
    "zlib",
  ],
};

Deno.test({
  name: "resolve: alpine-base, busybox and build-base closures match the hand-derived sets",
  ...shared,
  fn: async () => {
    const u = universe(await alpine(), "x86_64");
    for (const [world, want] of Object.entries(CLOSURES)) {
      const got = resolve(u, [world]);
      assertEquals(got.map((p) => p.name).sort(), want, world);
      // Install order: what a package depends on comes before it, except
      // around a dependency cycle.
      const at = new Map(got.map((p, i) => [p.name, i]));
      const providerOf = (d: string) =>
        got.find((q) =>
          q.name === d.split(/[<>=~]/)[0] ||
          q.provides.some((x) => x.split("=")[0] === d.split(/[<>=~]/)[0])
        );
      const reaches = (from: string, to: string, seen = new Set<string>()): boolean => {
        if (from === to) return true;
        if (seen.has(from)) return false;
        seen.add(from);
        const p = got.find((q) => q.name === from)!;
        return p.depends.some((d) => {
          const q = providerOf(d);
          return q !== undefined && reaches(q.name, to, seen);
        });
      };
      for (const p of got) {
        for (const d of p.depends.filter((d) => !d.startsWith("!"))) {
          const q = providerOf(d)!;
          if (at.get(q.name)! > at.get(p.name)!) {
            assert(reaches(q.name, p.name), `${p.name} before ${q.name}`);
          }
        }
      }
      assertEquals(got.at(-1)!.name, world);
      assertEquals(resolve(u, [world]).map((p) => p.name), got.map((p) => p.name), "deterministic");
    }
  },
});

Deno.test({
  name: "resolve: versions and conflicts in constraints, and errors that explain",
  ...shared,
  fn: async () => {
    const u = universe(await alpine(), "x86_64");
    const bb = resolve(u, ["busybox>=1.35"]).find((p) => p.name === "busybox")!;
    assertEquals(bb.version, "1.35.0-r17");
    const err = assertThrows(() => resolve(u, ["busybox>=9"]));
    assertStringIncludes(err.message, "no package provides busybox>=9 (required by world)");
    const missing = assertThrows(() => resolve(u, ["so:libnothing.so.1"]));
    assertStringIncludes(missing.message, "so:libnothing.so.1");
    const conflict = assertThrows(() => resolve(u, ["busybox", "!musl"]));
    assertStringIncludes(conflict.message, "musl-");
    assertStringIncludes(conflict.message, "conflicts");
  },
});

function pkg(name: string, version: string, over: Partial<ApkPackage> = {}): ApkPackage {
  return { ...emptyPackage(name, version, "x86_64"), checksum: `Q1${name}${version}=`, ...over };
}

Deno.test("resolve: highest version, then provider priority, then name; tags pin repositories", () => {
  const main: RepositoryIndex = {
    repository: { url: "main" },
    arch: "x86_64",
    packages: [
      pkg("app", "1.0-r0", { depends: ["so:libfoo.so.1", "virt"] }),
      pkg("app", "1.1-r0", { depends: ["so:libfoo.so.1", "virt"] }),
      pkg("libfoo", "1.0-r0", { provides: ["so:libfoo.so.1=1.0"] }),
      pkg("libfoo-ng", "2.0-r0", { provides: ["so:libfoo.so.1=2.0"] }),
      pkg("virt-a", "9-r0", { provides: ["virt"], providerPriority: 10 }),
      pkg("virt-b", "1-r0", { provides: ["virt"], providerPriority: 50 }),
      pkg("noarch-tool", "1-r0", { arch: "noarch" }),
      pkg("other-arch", "1-r0", { arch: "aarch64" }),
    ],
  };
  const edge: RepositoryIndex = {
    repository: { url: "edge", tag: "edge" },
    arch: "x86_64",
    packages: [pkg("app", "2.0-r0")],
  };
  const u = universe([main, edge], "x86_64");
  const names = (w: string[]) => resolve(u, w).map((p) => `${p.name}-${p.version}`);
  assertEquals(names(["app"]), ["libfoo-ng-2.0-r0", "virt-b-1-r0", "app-1.1-r0"]);
  assertEquals(names(["app@edge"]), ["app-2.0-r0"]);
  assertEquals(names(["app=1.0-r0"]).at(-1), "app-1.0-r0");
  assertEquals(names(["noarch-tool"]), ["noarch-tool-1-r0"]);
  assertThrows(() => resolve(u, ["other-arch"]), Error, "no package provides other-arch");
  const two = assertThrows(() => resolve(u, ["app=1.0-r0", "app=1.1-r0"]));
  assertStringIncludes(two.message, "app-1.0-r0 is already chosen");
});
