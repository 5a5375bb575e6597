/**
 * Which architectures a run is for: `--arch` read as melange reads it, the
 * daemon's platforms as melange names them, the error for a platform the
 * daemon cannot run, and running architectures side by side.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import {
  ALL_ARCHS,
  archOfPlatform,
  checkRunnable,
  parseArchs,
  repositoriesServe,
  workerArchs,
} from "../lib/build/archs.ts";
import { allOrFirstError, progressFor } from "../lib/build/perarch.ts";
import { UserError } from "../lib/errors.ts";
import { withTempDir } from "./support/tmp.ts";

Deno.test("--arch: melange's names and the OCI ones, deduplicated, in apko's order", () => {
  assertEquals(parseArchs(["x86_64", "aarch64"]), ["x86_64", "aarch64"]);
  assertEquals(parseArchs(["arm64", "amd64", "x86_64"]), ["x86_64", "aarch64"]);
  assertEquals(parseArchs(["armv7", "arm/v6", "386", "loong64"]), [
    "x86",
    "armhf",
    "armv7",
    "loongarch64",
  ]);
  assertEquals(parseArchs(["all"]), ALL_ARCHS);
  assertEquals(parseArchs(["host"])!.length, 1);
  assertEquals(parseArchs([]), undefined);
  assertEquals(parseArchs(undefined), undefined);
  assertThrows(() => parseArchs(["sparc"]), UserError, 'unknown architecture "sparc"');
});

Deno.test("daemon platforms: amd64 levels are x86_64, arm variants are armv7 and armhf", () => {
  const platforms = [
    "amd64",
    "amd64/v2",
    "amd64/v3",
    "arm64",
    "riscv64",
    "ppc64le",
    "s390x",
    "386",
    "loong64",
    "arm/v7",
    "arm/v6",
    "mips64le",
  ].map((p) => {
    const [Architecture, Variant] = p.split("/");
    return { OS: "linux", Architecture, Variant };
  });
  assertEquals(archOfPlatform({ OS: "linux", Architecture: "amd64", Variant: "v3" }), "x86_64");
  assertEquals(archOfPlatform({ OS: "linux", Architecture: "arm", Variant: "v7" }), "armv7");
  assertEquals(archOfPlatform({ OS: "linux", Architecture: "arm", Variant: "v6" }), "armhf");
  assertEquals(archOfPlatform({ OS: "linux", Architecture: "mips64le" }), undefined);
  assertEquals(archOfPlatform({ OS: "windows", Architecture: "amd64" }), undefined);
  assertEquals(workerArchs([{ platforms }]), ALL_ARCHS);
  assertEquals(workerArchs([{ platforms: platforms.slice(0, 3) }]), ["x86_64"]);
});

Deno.test("a daemon without emulation: the error names the platform and how to add it", () => {
  const workers = [{ platforms: [{ OS: "linux", Architecture: "amd64" }] }];
  checkRunnable(["x86_64"], workers, "unix:///x.sock");
  const err = assertThrows(
    () => checkRunnable(["x86_64", "aarch64", "armv7"], workers, "unix:///x.sock"),
    UserError,
  );
  assert(
    err.message.startsWith(
      "the BuildKit daemon at unix:///x.sock cannot run linux/arm64 (aarch64), linux/arm/v7 (armv7): it runs linux/amd64.",
    ),
    err.message,
  );
  assert(err.message.includes("apt-get install qemu-user-static"), err.message);
  assert(err.message.includes("F (fix-binary)"), err.message);
});

Deno.test("repositories: a local one serves an architecture when it has its index", async () => {
  await withTempDir(async (dir) => {
    mkdirSync(`${dir}/repo/x86_64`, { recursive: true });
    writeFileSync(`${dir}/repo/x86_64/APKINDEX.tar.gz`, "");
    assert(await repositoriesServe([`${dir}/repo`], "x86_64"));
    assert(!(await repositoriesServe([`${dir}/repo`], "aarch64")));
    assert(!(await repositoriesServe([`${dir}/repo`, `${dir}/none`], "x86_64")));
    assert(await repositoriesServe([`@local ${dir}/repo`], "x86_64"));
  });
});

Deno.test("side by side: results in order; the first failure cancels the others", async () => {
  assertEquals(await allOrFirstError([1, 2, 3], undefined, (n) => Promise.resolve(n * 2)), [
    2,
    4,
    6,
  ]);
  let cancelled = false;
  const err = await assertRejects(() =>
    allOrFirstError(["slow", "fails"], undefined, (item, signal) => {
      if (item === "fails") return Promise.reject(new Error("aarch64 failed"));
      return new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          cancelled = true;
          reject(new Error("cancelled"));
        })
      );
    })
  );
  assertEquals((err as Error).message, "aarch64 failed");
  assert(cancelled, "the slow one was not cancelled");
  assertEquals(progressFor("auto", 2), "plain");
  assertEquals(progressFor("tty", 2), "plain");
  assertEquals(progressFor("auto", 1), "auto");
  assertEquals(progressFor("rawjson", 2), "rawjson");
});
