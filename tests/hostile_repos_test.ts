/**
 * Hostile and broken APK repositories, made here (over 30): missing or
 * mistyped indexes, bad or missing signatures, indexes that lie about their
 * packages, damaged packages, a gzip bomb, unreachable and hanging-up
 * servers, bad keyrings. A build that names one must end with one clear
 * message, exit 1, no stack trace, and write nothing into the canary tree,
 * the out directory or the case's own directory; each under a memory bound
 * (prlimit --data) and a hang bound.
 */
import { assert, assertEquals } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { snapshot } from "./support/snapshot.ts";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Buffer } from "node:buffer";
import { generateKey, writePackages } from "../lib/apk/package.ts";
import { type ApkPackage, writeIndexArchive } from "../lib/apk/index.ts";
import { writeTar } from "../lib/apk/tar.ts";

const ARCH = "x86_64";

interface Made {
  /** The repository line for the build file. */
  repo: string;
  /** The keyring line. */
  key: string;
}

interface RepoCase {
  name: string;
  make: (dir: string, base: Base) => Promise<Made> | Made;
  expect: RegExp;
}

/** A good signed repository with `victim` (depends on `helper`) and `helper`, to break copies of. */
interface Base {
  dir: string;
  key: string;
  otherKey: string;
  index: Uint8Array;
  packages: ApkPackage[];
  victim: string;
}

async function makeBase(dir: string): Promise<Base> {
  mkdirSync(join(dir, "keys"), { recursive: true });
  await generateKey("good.rsa", join(dir, "keys"), 2048);
  await generateKey("other.rsa", join(dir, "keys"), 2048);
  const signingKey = {
    name: "good.rsa",
    pem: readFileSync(join(dir, "keys", "good.rsa"), "utf8"),
  };
  mkdirSync(join(dir, "trees", "victim", "usr", "share"), { recursive: true });
  writeFileSync(join(dir, "trees", "victim", "usr", "share", "v"), "victim\n");
  mkdirSync(join(dir, "trees", "helper"), { recursive: true });
  const spec = (name: string, runtime: string[]) => ({
    name,
    version: "1.0-r0",
    epoch: 0,
    arch: ARCH,
    description: name,
    dependencies: { runtime, provides: [], replaces: [] },
  });
  const made = await writePackages([
    { dir: join(dir, "trees", "victim"), spec: spec("victim", ["helper"]) },
    { dir: join(dir, "trees", "helper"), spec: spec("helper", []) },
  ], { sourceDateEpoch: 0, signingKey });
  const repo = join(dir, "repo", ARCH);
  mkdirSync(repo, { recursive: true });
  for (const m of made) writeFileSync(join(repo, `${m.info.name}-1.0-r0.apk`), m.bytes);
  const packages = made.map((m) => m.info);
  const index = await writeIndexArchive(packages, { signingKey });
  writeFileSync(join(repo, "APKINDEX.tar.gz"), index);
  return {
    dir,
    key: join(dir, "keys", "good.rsa.pub"),
    otherKey: join(dir, "keys", "other.rsa.pub"),
    index,
    packages,
    victim: join(repo, "victim-1.0-r0.apk"),
  };
}

/** A copy of the good repository in `dir`, with `change` applied to its arch directory. */
async function variant(
  dir: string,
  base: Base,
  change: (arch: string) => void | Promise<void>,
): Promise<Made> {
  const arch = join(dir, "repo", ARCH);
  mkdirSync(arch, { recursive: true });
  writeFileSync(join(arch, "APKINDEX.tar.gz"), base.index);
  for (const p of base.packages) {
    copyFileSync(
      join(base.dir, "repo", ARCH, `${p.name}-1.0-r0.apk`),
      join(arch, `${p.name}-1.0-r0.apk`),
    );
  }
  await change(arch);
  return { repo: join(dir, "repo"), key: base.key };
}

/** An index archive of `text` signed by the good key. */
async function signedIndex(base: Base, packages: ApkPackage[]): Promise<Uint8Array> {
  const pem = readFileSync(join(base.dir, "keys", "good.rsa"), "utf8");
  return await writeIndexArchive(packages, { signingKey: { name: "good.rsa", pem } });
}

/** A tar of one file. */
function oneFile(name: string, data: Uint8Array): Promise<Uint8Array> {
  const header = {
    name,
    type: "file" as const,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: data.length,
    mtime: 0,
  };
  return writeTar([{ header, data }]);
}

/** An unsigned index archive holding APKINDEX `text` as it is. */
async function rawIndex(text: string | Uint8Array): Promise<Uint8Array> {
  const body = typeof text === "string" ? new TextEncoder().encode(text) : text;
  return gzipSync(await oneFile("APKINDEX", body));
}

/** A server that accepts and closes every connection, or answers slowly forever. */
function server(kind: "hangup" | "stall"): { url: string; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    try {
      for await (const c of l) {
        if (kind === "hangup") c.close();
        else conns.push(c);
      }
    } catch {
      // closed
    }
  })();
  return {
    url: `http://127.0.0.1:${(l.addr as Deno.NetAddr).port}`,
    close: () => {
      l.close();
      for (const c of conns) c.close();
    },
  };
}

function cases(servers: { hangup: string; closed: string }): RepoCase[] {
  const out: RepoCase[] = [];
  const add = (name: string, make: RepoCase["make"], expect: RegExp) =>
    out.push({ name, make, expect });
  const idx =
    (f: (arch: string, base: Base) => void | Promise<void>) => (dir: string, base: Base) =>
      variant(dir, base, (arch) => f(arch, base));
  const writeIdx = (arch: string, bytes: Uint8Array | string) =>
    writeFileSync(join(arch, "APKINDEX.tar.gz"), bytes);

  // The repository itself.
  add(
    "missing directory",
    (dir, b) => ({ repo: join(dir, "nope"), key: b.key }),
    /repository .*nope does not exist: check the path/,
  );
  add("a file, not a directory", (dir, b) => {
    writeFileSync(join(dir, "file"), "x");
    return { repo: join(dir, "file"), key: b.key };
  }, /repository .*file is not a directory/);
  add("no arch directory", (dir, b) => {
    mkdirSync(join(dir, "repo"));
    return { repo: join(dir, "repo"), key: b.key };
  }, /repository .*repo has no index for x86_64 \(.*repo\/x86_64\/APKINDEX\.tar\.gz is missing\)/);
  add(
    "index is a directory",
    idx((a) => {
      Deno.removeSync(join(a, "APKINDEX.tar.gz"));
      mkdirSync(join(a, "APKINDEX.tar.gz"));
    }),
    /APKINDEX\.tar\.gz: is a directory/,
  );
  add(
    "index is a FIFO",
    idx(async (a) => {
      Deno.removeSync(join(a, "APKINDEX.tar.gz"));
      assert(
        (await new Deno.Command("mkfifo", { args: [join(a, "APKINDEX.tar.gz")] }).output()).success,
      );
    }),
    /APKINDEX\.tar\.gz: not a regular file/,
  );

  // The index archive.
  add("empty index file", idx((a) => writeIdx(a, "")), /APKINDEX\.tar\.gz: empty file/);
  add(
    "index not gzip",
    idx((a) => writeIdx(a, "P:victim\nV:1.0-r0\n")),
    /APKINDEX\.tar\.gz: not a gzip stream/,
  );
  add(
    "gzip but not tar",
    idx((a) => writeIdx(a, gzipSync(Buffer.from("hello world")))),
    /APKINDEX\.tar\.gz: unsigned/,
  );
  add(
    "truncated index",
    idx((a, b) => writeIdx(a, b.index.slice(0, b.index.length / 2))),
    /APKINDEX\.tar\.gz: truncated gzip stream/,
  );
  add(
    "tar without APKINDEX",
    idx(async (a) => {
      writeIdx(a, gzipSync(await oneFile("DESCRIPTION", new Uint8Array(1))));
    }),
    /APKINDEX\.tar\.gz: unsigned/,
  );
  add(
    "unsigned index",
    idx(async (a, b) =>
      writeIdx(
        a,
        await rawIndex(b.packages.map(() => "").join("") + "P:victim\nV:1.0-r0\nA:x86_64\n\n"),
      )
    ),
    /APKINDEX\.tar\.gz: unsigned/,
  );
  add(
    "signed by an unknown key",
    async (dir, b) => ({ ...(await variant(dir, b, () => {})), key: b.otherKey }),
    /signed by good\.rsa\.pub, which is not in the keyring/,
  );
  add(
    "signature over other contents",
    idx(async (a, b) => {
      // The good signature member, then another index.
      const tampered = await rawIndex("P:evil\nV:6.6-r6\nA:x86_64\n\n");
      const sig = b.index.slice(0, findSecondGzip(b.index));
      writeIdx(a, new Uint8Array([...sig, ...tampered]));
    }),
    /the signature by good\.rsa\.pub does not verify/,
  );
  add(
    "gzip bomb index",
    idx((a) => writeIdx(a, gzipSync(new Uint8Array(600 << 20)))),
    /APKINDEX\.tar\.gz: gzip stream at byte 0 decompresses to more than 268435456 bytes/,
  );
  add(
    "garbage lines",
    idx(async (a) => writeIdx(a, await rawIndex("this is not an index\n\x00\x01\n"))),
    /APKINDEX\.tar\.gz: unsigned/,
  );
  add(
    "NUL bytes",
    idx(async (a) => writeIdx(a, await rawIndex(new Uint8Array(4096)))),
    /APKINDEX\.tar\.gz: unsigned/,
  );
  add(
    "invalid UTF-8",
    idx(async (a) => writeIdx(a, await rawIndex(new Uint8Array([0x50, 0x3a, 0xff, 0xfe, 10])))),
    /APKINDEX\.tar\.gz: unsigned/,
  );

  // Signed indexes that lie.
  const lying = (name: string, edit: (ps: ApkPackage[]) => ApkPackage[], expect: RegExp) =>
    add(
      name,
      idx(async (a, b) => writeIdx(a, await signedIndex(b, edit(structuredClone(b.packages))))),
      expect,
    );
  lying(
    "the wanted package is absent",
    (ps) => ps.filter((p) => p.name !== "victim"),
    /no package provides victim \(required by world\)/,
  );
  lying(
    "a dependency is absent",
    (ps) => ps.filter((p) => p.name !== "helper"),
    /no package provides helper \(required by victim-1\.0-r0\)/,
  );
  lying(
    "a dependency no one provides",
    (ps) => ps.map((p) => p.name === "victim" ? { ...p, depends: ["ghost>=9"] } : p),
    /no package provides ghost>=9/,
  );
  lying(
    "a conflict with itself",
    (ps) => ps.map((p) => p.name === "victim" ? { ...p, depends: ["!victim"] } : p),
    /victim-1\.0-r0 conflicts with victim-1\.0-r0/,
  );
  lying(
    "a checksum that does not match",
    (ps) =>
      ps.map((p) => p.name === "victim" ? { ...p, checksum: "Q1" + "A".repeat(27) + "=" } : p),
    /victim-1\.0-r0\.apk: checksum \S+ does not match the index/,
  );
  lying(
    "a version apk cannot read",
    (ps) => ps.map((p) => p.name === "victim" ? { ...p, version: "1.0 beta" } : p),
    /victim-1\.0 beta\.apk: no such file/,
  );

  // Damaged package files.
  const pkgFile = (name: string, change: (file: string, b: Base) => void, expect: RegExp) =>
    add(name, idx((a, b) => change(join(a, "victim-1.0-r0.apk"), b)), expect);
  pkgFile("package file missing", (f) => Deno.removeSync(f), /victim-1\.0-r0\.apk: no such file/);
  pkgFile(
    "package not gzip",
    (f) => writeFileSync(f, "not a package"),
    /victim-1\.0-r0\.apk: not a gzip stream/,
  );
  pkgFile(
    "package truncated",
    (f) => writeFileSync(f, readFileSync(f).subarray(0, 300)),
    /victim-1\.0-r0\.apk: truncated gzip stream/,
  );
  pkgFile(
    "package is another package",
    (f, b) => copyFileSync(join(b.dir, "repo", ARCH, "helper-1.0-r0.apk"), f),
    /victim-1\.0-r0\.apk: checksum \S+ does not match the index/,
  );
  pkgFile("package is a FIFO", (f) => {
    Deno.removeSync(f);
    new Deno.Command("mkfifo", { args: [f] }).outputSync();
  }, /victim-1\.0-r0\.apk: not a regular file/);
  pkgFile("package is a directory", (f) => {
    Deno.removeSync(f);
    mkdirSync(f);
  }, /victim-1\.0-r0\.apk: is a directory/);

  // Keyrings and the network.
  add(
    "keyring file missing",
    async (dir, b) => ({ ...(await variant(dir, b, () => {})), key: join(dir, "none.pub") }),
    /none\.pub: no such file/,
  );
  add("keyring not a key", async (dir, b) => {
    writeFileSync(join(dir, "bad.rsa.pub"), "not a key\n");
    return { ...(await variant(dir, b, () => {})), key: join(dir, "bad.rsa.pub") };
  }, /not in the keyring \(have: bad\.rsa\.pub\)/);
  add(
    "http repository, nothing listening",
    (_d, b) => ({ repo: servers.closed, key: b.key }),
    /fetching http:\/\/127\.0\.0\.1:\d+\/x86_64\/APKINDEX\.tar\.gz: fetch failed/,
  );
  add(
    "http repository that hangs up",
    (_d, b) => ({ repo: servers.hangup, key: b.key }),
    /fetching http:\/\/127\.0\.0\.1:\d+\/x86_64\/APKINDEX\.tar\.gz: fetch failed/,
  );
  return out;
}

/** Where the second gzip member starts (after the signature member). */
function findSecondGzip(bytes: Uint8Array): number {
  for (let i = 10; i < bytes.length - 2; i++) {
    if (bytes[i] === 0x1f && bytes[i + 1] === 0x8b && bytes[i + 2] === 8) return i;
  }
  return bytes.length;
}

Deno.test({
  name: "hostile repositories: over 30 broken or lying repositories, one clear message each",
  ignore: !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (root) => {
      const base = await makeBase(join(root, "base"));
      const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const closedUrl = `http://127.0.0.1:${(closed.addr as Deno.NetAddr).port}`;
      closed.close();
      const hangup = server("hangup");
      mkdirSync(join(root, "canary"));
      writeFileSync(join(root, "canary", "secret"), "do not touch\n");
      const failures: string[] = [];
      try {
        const all = cases({ hangup: hangup.url, closed: closedUrl });
        assert(all.length >= 30, `${all.length} cases`);
        for (const [i, c] of all.entries()) {
          const dir = join(root, "cases", String(i));
          mkdirSync(dir, { recursive: true });
          try {
            const made = await c.make(dir, base);
            const file = join(dir, "build.yaml");
            writeFileSync(
              file,
              `package:\n  name: demo\n  version: 1.0.0\nenvironment:\n  contents:\n` +
                `    repositories: [${JSON.stringify(made.repo)}]\n` +
                `    keyring: [${JSON.stringify(made.key)}]\n    packages: [victim]\n` +
                "pipeline:\n  - runs: echo hi\n",
            );
            const watched = [join(root, "canary"), join(root, "out"), dir];
            const before = watched.map(snapshot);
            const res = await runCli([
              "build",
              file,
              "--arch",
              ARCH,
              "--out-dir",
              join(root, "out"),
              "--buildkit-addr",
              ADDR,
              "--progress",
              "plain",
            ], {
              cwd: dir,
              // A hang is killed (SIGKILL: a blocked read ignores SIGTERM); memory is bounded.
              wrapper: ["timeout", "-s", "KILL", "120", "prlimit", `--data=${1 << 30}`],
            });
            const what = `${c.name}: exit ${res.code}\n${res.stderr.slice(0, 1500)}`;
            assertEquals(res.code, 1, what);
            for (const bad of ["    at ", "internal error", "Uncaught", "RangeError"]) {
              assert(!res.stderr.includes(bad), what);
            }
            const errors = res.stderr.split("\n").filter((l) => l.startsWith("error: "));
            assertEquals(errors.length, 1, what);
            assert(c.expect.test(errors[0]), `${what}\nexpected ${c.expect}`);
            assertEquals(watched.map(snapshot), before, `${c.name}: a watched tree changed`);
          } catch (err) {
            failures.push(`[${i}] ${(err as Error).message}`);
          }
        }
      } finally {
        hangup.close();
      }
      assertEquals(failures, []);
    }),
});
