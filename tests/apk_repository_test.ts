/**
 * Repositories over HTTP, served on loopback by the test: downloads, the
 * index cache revalidated with ETag, the package cache, and failures (404,
 * truncated body, checksum mismatch) that name the URL.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installEnvironment, resolveEnvironment } from "../lib/apk/environment.ts";
import { readApk } from "../lib/apk/archive.ts";
import { emptyPackage, writeIndexArchive } from "../lib/apk/index.ts";
import { entry, handMadeApk } from "./support/apk.ts";
import { withTempDir } from "./support/tmp.ts";

interface Served {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Serves `files` (path -> bytes) with ETags; `mangle` can break answers on purpose. */
function serve(
  files: Map<string, Uint8Array>,
  mangle: (path: string) => Response | undefined = () => undefined,
): Served {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    const etag = `"${path.length}-${files.get(path)?.length}"`;
    const conditional = req.headers.get("if-none-match") === etag;
    requests.push(`${conditional ? "revalidate" : "get"} ${path}`);
    const special = mangle(path);
    if (special) return special;
    const body = files.get(path);
    if (!body) return new Response("not found", { status: 404 });
    if (conditional) return new Response(null, { status: 304, headers: { etag } });
    return new Response(body as Uint8Array<ArrayBuffer>, { headers: { etag } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, requests, close: () => server.shutdown() };
}

async function signedRepo(name: string) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  const key = { name: "repo.rsa", pem: privateKey };
  const apk = await handMadeApk(name, "1-r0", [entry("usr/share/hello", {}, "hi")], key);
  const info = await readApk(apk, new Map(), { allowUntrusted: true, source: name });
  const index = await writeIndexArchive(
    [{ ...emptyPackage(name, "1-r0", "x86_64"), checksum: info.checksum, size: apk.length }],
    { signingKey: key },
  );
  const files = new Map<string, Uint8Array>([
    ["/x86_64/APKINDEX.tar.gz", index],
    [`/x86_64/${name}-1-r0.apk`, apk],
    ["/repo.rsa.pub", new TextEncoder().encode(publicKey)],
  ]);
  return { files, apk };
}

Deno.test("repository: packages download over HTTP, and the caches answer the second time", () =>
  withTempDir(async (dir) => {
    const { files } = await signedRepo("hello");
    const server = serve(files);
    try {
      const spec = {
        repositories: [server.url],
        keyring: [`${server.url}/repo.rsa.pub`],
        packages: ["hello"],
        arch: "x86_64",
        cacheDir: join(dir, "cache"),
      };
      await installEnvironment(await resolveEnvironment(spec), join(dir, "a"), spec);
      assertEquals(server.requests, [
        "get /repo.rsa.pub",
        "get /x86_64/APKINDEX.tar.gz",
        "get /x86_64/hello-1-r0.apk",
      ]);
      server.requests.length = 0;
      await installEnvironment(await resolveEnvironment(spec), join(dir, "b"), spec);
      // Indexes and keys are revalidated (304); the package comes from the cache.
      assertEquals(server.requests, [
        "revalidate /repo.rsa.pub",
        "revalidate /x86_64/APKINDEX.tar.gz",
      ]);
      assert(readdirSync(join(dir, "cache", "packages")).length === 1);
    } finally {
      await server.close();
    }
  }));

Deno.test("repository: a missing index is an error naming its URL", () =>
  withTempDir(async (dir) => {
    const server = serve(new Map());
    try {
      const err = await assertRejects(() =>
        resolveEnvironment({
          repositories: [server.url],
          keyring: [],
          packages: ["x"],
          arch: "x86_64",
          cacheDir: dir,
        })
      );
      assertStringIncludes(err.message, `${server.url}/x86_64/APKINDEX.tar.gz`);
      assertStringIncludes(err.message, "404");
      assertEquals(server.requests.length, 1, "a 404 is not retried");
    } finally {
      await server.close();
    }
  }));

/** A raw HTTP server that promises `length` bytes and sends `body`, then hangs up. */
function truncatingServer(
  body: Uint8Array,
  length: number,
): { url: string; hits: () => number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let hits = 0;
  (async () => {
    for await (const conn of listener) {
      hits++;
      const head = `HTTP/1.1 200 OK\r\ncontent-length: ${length}\r\nconnection: close\r\n\r\n`;
      try {
        await conn.read(new Uint8Array(4096));
        await conn.write(new TextEncoder().encode(head));
        await conn.write(body);
      } catch {
        // the client may give up first
      }
      conn.close();
    }
  })().catch(() => {});
  const { port } = listener.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}/hello.apk`,
    hits: () => hits,
    close: () => listener.close(),
  };
}

Deno.test("repository: a truncated download is retried, then reported with its URL", async () => {
  const { download } = await import("../lib/apk/fetch.ts");
  const server = truncatingServer(new Uint8Array(1000), 5000);
  try {
    const err = await assertRejects(() => download(server.url));
    assertStringIncludes(err.message, server.url);
    assertEquals(server.hits(), 3, "tried three times");
  } finally {
    server.close();
  }
});

Deno.test("repository: a package that does not match the index checksum is refused", () =>
  withTempDir(async (dir) => {
    const { files } = await signedRepo("hello");
    const other = await handMadeApk("hello", "1-r0", [entry("usr/share/evil", {}, "changed")]);
    files.set("/x86_64/hello-1-r0.apk", other);
    const server = serve(files);
    try {
      const spec = {
        repositories: [server.url],
        keyring: [`${server.url}/repo.rsa.pub`],
        packages: ["hello"],
        arch: "x86_64",
        cacheDir: dir,
      };
      const resolved = await resolveEnvironment(spec);
      const err = await assertRejects(() => installEnvironment(resolved, join(dir, "root"), spec));
      assertStringIncludes(err.message, "does not match the index");
      assertStringIncludes(err.message, `${server.url}/x86_64/hello-1-r0.apk`);
      mkdirSync(join(dir, "root"), { recursive: true });
      writeFileSync(join(dir, "marker"), "");
      assertEquals(readdirSync(join(dir, "root")), []);
    } finally {
      await server.close();
    }
  }));
