/**
 * The out directory under concurrency: separate processes adding packages
 * to one directory at once all land and the index lists each exactly once;
 * a process killed while holding the lock blocks nobody and leaves nothing
 * half-written; a failed addition leaves no directory it made.
 */
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readApk } from "../lib/apk/archive.ts";
import { emptyPackage, readIndexArchive } from "../lib/apk/index.ts";
import { addToRepository, INDEX_FILE, packageFileName, TEMP_PREFIX } from "../lib/apk/outdir.ts";
import { entry, handMadeApk } from "./support/apk.ts";
import { withTempDir } from "./support/tmp.ts";
import { repoPath } from "./shared.ts";

function keyFiles(dir: string) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  writeFileSync(join(dir, "out.rsa"), privateKey);
  return {
    path: join(dir, "out.rsa"),
    key: { name: "out.rsa", pem: privateKey },
    keyring: new Map([["out.rsa.pub", publicKey]]),
  };
}

/** A small signed package `name-version` written to `<dir>/src/`. */
async function makeApk(
  dir: string,
  name: string,
  version: string,
  key: { name: string; pem: string },
) {
  mkdirSync(join(dir, "src"), { recursive: true });
  const bytes = await handMadeApk(name, version, [
    entry(`usr/share/${name}`, {}, `${name} ${version}\n`),
  ], key);
  const file = join(dir, "src", packageFileName({ name, version }));
  writeFileSync(file, bytes);
  return file;
}

function addInChild(out: string, key: string, files: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", repoPath("tests", "support", "add_to_repo.ts"), out, key, ...files],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

/** The index, verified with `keyring`, and a check that every entry's file is there and matches. */
async function checkedIndex(out: string, keyring: Map<string, string>) {
  const pkgs = await readIndexArchive(readFileSync(join(out, INDEX_FILE)), keyring, {
    source: INDEX_FILE,
  });
  for (const p of pkgs) {
    const bytes = readFileSync(join(out, packageFileName(p)));
    const apk = await readApk(bytes, keyring, { source: packageFileName(p) });
    assertEquals(apk.checksum, p.checksum, p.name);
    assertEquals(bytes.length, p.size, p.name);
  }
  return pkgs;
}

Deno.test("out dir: eight processes adding packages at once all land, each listed exactly once", () =>
  withTempDir(async (dir) => {
    const k = keyFiles(dir);
    const out = join(dir, "out", "x86_64");
    const jobs: string[][] = [];
    for (let i = 0; i < 8; i++) {
      jobs.push([
        await makeApk(dir, `pkg-${i}`, "1.0-r0", k.key),
        await makeApk(dir, `pkg-${i}-doc`, "1.0-r0", k.key),
      ]);
    }
    // The same package from two processes, and two versions of one name.
    const same = await makeApk(dir, "shared", "2.0-r0", k.key);
    jobs[0].push(same);
    jobs[5].push(same);
    jobs[3].push(await makeApk(dir, "multi", "1.0-r0", k.key));
    jobs[6].push(await makeApk(dir, "multi", "1.1-r0", k.key));

    const results = await Promise.all(jobs.map((files) => addInChild(out, k.path, files)));
    for (const r of results) assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));

    const pkgs = await checkedIndex(out, k.keyring);
    const ids = pkgs.map((p) => `${p.name}-${p.version}`);
    const want = [
      ...Array.from({ length: 8 }, (_, i) => [`pkg-${i}-1.0-r0`, `pkg-${i}-doc-1.0-r0`]).flat(),
      "shared-2.0-r0",
      "multi-1.0-r0",
      "multi-1.1-r0",
    ];
    assertEquals([...ids].sort(), [...want].sort());
    assertEquals(new Set(ids).size, ids.length, "no entry twice");
    assertEquals(
      readdirSync(out).sort(),
      [INDEX_FILE, ...want.map((id) => `${id}.apk`)].sort(),
      "no temporary file left",
    );
  }));

Deno.test("out dir: a process killed while holding the lock blocks nobody and leaves nothing half-written", () =>
  withTempDir(async (dir) => {
    const k = keyFiles(dir);
    const out = join(dir, "out", "x86_64");
    await addToRepository(out, [await made(dir, "before", k.key)], { signingKey: k.key });
    const indexBefore = readFileSync(join(out, INDEX_FILE));
    // A writer that takes the lock, leaves half a file under a temporary name and is killed.
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const d = Deno.openSync(${JSON.stringify(out)}, { read: true });
         d.lockSync(true);
         Deno.writeFileSync(${
          JSON.stringify(join(out, `${TEMP_PREFIX}half`))
        }, new Uint8Array(100));
         console.log("held");
         setTimeout(() => {}, 600_000);`,
      ],
      stdout: "piped",
    }).spawn();
    const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assertEquals((await reader.read()).value?.trim(), "held");

    let landed = false;
    const adding = addToRepository(out, [await made(dir, "after", k.key)], { signingKey: k.key })
      .then((files) => {
        landed = true;
        return files;
      });
    await new Promise((r) => setTimeout(r, 500));
    assert(!landed, "waits while another process holds the lock");
    assertEquals(
      readFileSync(join(out, INDEX_FILE)),
      indexBefore,
      "the index is untouched meanwhile",
    );
    holder.kill("SIGKILL");
    await holder.status;
    await reader.cancel();
    await adding;
    const pkgs = await checkedIndex(out, k.keyring);
    assertEquals(pkgs.map((p) => p.name), ["after", "before"]);
    assertEquals(readdirSync(out).sort(), [INDEX_FILE, "after-1-r0.apk", "before-1-r0.apk"]);
  }));

Deno.test("out dir: an addition cancelled before it lands writes nothing and removes the directory it made", () =>
  withTempDir(async (dir) => {
    const k = keyFiles(dir);
    const out = join(dir, "out", "x86_64");
    const signal = AbortSignal.abort();
    const nope = await made(dir, "nope", k.key);
    await assertRejects(() => addToRepository(out, [nope], { signingKey: k.key, signal }));
    assert(!existsSync(out), "no empty arch directory");
    assert(existsSync(join(dir, "out")), "the directory above it is not ours to remove");
    // An existing directory keeps what it had.
    await addToRepository(out, [await made(dir, "kept", k.key)], { signingKey: k.key });
    await assertRejects(() => addToRepository(out, [nope], { signingKey: k.key, signal }));
    assertEquals(readdirSync(out).sort(), [INDEX_FILE, "kept-1-r0.apk"]);
  }));

async function made(dir: string, name: string, key: { name: string; pem: string }) {
  const bytes = readFileSync(await makeApk(dir, name, "1-r0", key));
  const apk = await readApk(bytes, new Map(), { allowUntrusted: true, source: name });
  return {
    info: { ...emptyPackage(name, "1-r0", "x86_64"), checksum: apk.checksum, size: bytes.length },
    bytes,
  };
}
