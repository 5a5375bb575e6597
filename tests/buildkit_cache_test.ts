/** `--cache-to`/`--cache-from` entries as buildctl parses them, and local caches' index.json. */
import { assert, assertEquals, assertThrows } from "./assert.ts";
import {
  parseCacheFrom,
  parseCacheTo,
  prepareCaches,
  updateCacheIndexes,
} from "../lib/buildkit/cache.ts";
import { UserError } from "../lib/errors.ts";
import { withTempDir } from "./support/tmp.ts";

Deno.test("cache entries: buildctl's CSV fields, lower-cased keys, mode min by default", () => {
  assertEquals(parseCacheTo("type=local,dest=/tmp/c"), {
    type: "local",
    attrs: { dest: "/tmp/c", mode: "min" },
  });
  assertEquals(parseCacheTo("type=registry,REF=127.0.0.1:5000/c:x,mode=max"), {
    type: "registry",
    attrs: { ref: "127.0.0.1:5000/c:x", mode: "max" },
  });
  // An import gets no mode; a quoted field may hold a comma, as in Go's encoding/csv.
  assertEquals(parseCacheFrom('type=local,"src=/tmp/a,b"'), {
    type: "local",
    attrs: { src: "/tmp/a,b" },
  });
  // The deprecated form: a bare registry reference.
  assertEquals(parseCacheTo("example.com/c"), {
    type: "registry",
    attrs: { mode: "min", ref: "example.com/c" },
  });
  assertEquals(parseCacheFrom("example.com/c"), {
    type: "registry",
    attrs: { ref: "example.com/c" },
  });
});

Deno.test("cache entries: bad ones are one clear error each", () => {
  const bad: [() => unknown, string][] = [
    [() => parseCacheTo("type=local,dest"), "--cache-to type=local,dest: invalid value dest"],
    [() => parseCacheTo("type=,dest=x"), "type=<type> is required"],
    [() => parseCacheTo("type=local,dest=x,mode=all"), 'mode must be min or max, not "all"'],
    [() => prepareCaches([parseCacheTo("type=local")]), "needs dest=DIR"],
    [() => prepareCaches([], [parseCacheFrom("type=local")]), "needs src=DIR"],
    [() => prepareCaches([parseCacheTo("type=registry,mode=max")]), "needs ref=REFERENCE"],
  ];
  for (const [f, text] of bad) {
    const err = assertThrows(f, UserError);
    assert(err.message.includes(text), err.message);
  }
});

Deno.test("local caches: an export's directory is made and its index.json tag updated", async () => {
  await withTempDir(async (dir) => {
    const dest = `${dir}/cache`;
    const prepared = prepareCaches([parseCacheTo(`type=local,dest=${dest},mode=max`)]);
    assertEquals(prepared.request.Exports, [{
      Type: "local",
      Attrs: { dest, mode: "max" },
    }]);
    assertEquals(prepared.stores, { [`local:${dest}`]: dest });
    assert(prepared.writable.has(`local:${dest}`));
    assert(Deno.statSync(dest).isDirectory);

    const desc = (n: number) => ({
      mediaType: "application/vnd.oci.image.index.v1+json",
      digest: `sha256:${String(n).repeat(64)}`,
      size: n,
    });
    await updateCacheIndexes(prepared, { "cache.manifest": JSON.stringify(desc(1)) });
    await updateCacheIndexes(prepared, { "cache.manifest": JSON.stringify(desc(2)) });
    const index = JSON.parse(Deno.readTextFileSync(`${dest}/index.json`));
    // The tag moved to the newer manifest: one entry, as BuildKit's ociindex leaves it.
    assertEquals(index, {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{
        ...desc(2),
        annotations: { "org.opencontainers.image.ref.name": "latest" },
      }],
    });
    assertEquals(JSON.parse(Deno.readTextFileSync(`${dest}/oci-layout`)), {
      imageLayoutVersion: "1.0.0",
    });
  });
});

Deno.test("local caches: an import reads its tag's digest, and is skipped when there is none", () => {
  return withTempDir((dir) => {
    const warnings: string[] = [];
    const missing = prepareCaches(
      [],
      [parseCacheFrom(`type=local,src=${dir}/none`)],
      (l) => warnings.push(l),
    );
    assertEquals(missing.request.Imports, []);
    assert(warnings[0].includes("skipped: no index.json"), warnings[0]);

    const hex = "ab".repeat(32);
    Deno.mkdirSync(`${dir}/c/blobs/sha256`, { recursive: true });
    Deno.writeTextFileSync(`${dir}/c/blobs/sha256/${hex}`, "{}");
    Deno.writeTextFileSync(
      `${dir}/c/index.json`,
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{
          digest: `sha256:${hex}`,
          size: 2,
          annotations: { "org.opencontainers.image.ref.name": "v1" },
        }],
      }),
    );
    const noTag = prepareCaches(
      [],
      [parseCacheFrom(`type=local,src=${dir}/c`)],
      (l) => warnings.push(l),
    );
    assertEquals(noTag.request.Imports, []);
    assert(warnings[1].includes("no digest found for tag latest"), warnings[1]);

    const found = prepareCaches([], [parseCacheFrom(`type=local,src=${dir}/c,tag=v1`)]);
    assertEquals(found.request.Imports, [{
      Type: "local",
      Attrs: { src: `${dir}/c`, tag: "v1", digest: `sha256:${hex}` },
    }]);
    assertEquals(found.stores, { [`local:${dir}/c`]: `${dir}/c` });
    assertEquals(found.writable.size, 0);
  });
});
