import { assert, assertEquals } from "./assert.ts";
import {
  ADDR,
  describeTree,
  haveDaemon,
  localSourcesReleased,
  mtimesNs,
  sh,
  withTempDir,
} from "./support/buildkit.ts";
import { Client } from "../lib/buildkit/client.ts";
import { local, marshal, scratch } from "../lib/llb/mod.ts";
import { localUniqueId, sharedKey } from "../lib/buildkit/identity.ts";
import { runCli } from "./cli.ts";
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";

const opts = { ignore: !haveDaemon, sanitizeResources: false, sanitizeOps: false };

/** scratch + a copy of the local source `src`, exported back. */
function roundTripDef(dir: string): Uint8Array {
  const src = local("src", { uniqueId: localUniqueId(dir) });
  return marshal(scratch().copy(src, "/", "/", { copyDirContentsOnly: true })).bytes;
}

async function roundTrip(client: Client, src: string, dest: string) {
  return await client.solve({
    definition: roundTripDef(src),
    locals: { src },
    exports: [{ type: "local", dest }],
    sharedKey: sharedKey([src]),
  });
}

Deno.test({
  name:
    "transfer: a 10,000-file tree round-trips with content, modes, symlinks and mtimes; a change sends one file",
  ...opts,
  fn: () =>
    withTempDir(async (dir) => {
      const src = `${dir}/src`;
      for (let d = 0; d < 100; d++) {
        mkdirSync(`${src}/d${d}`, { recursive: true });
        for (let f = 0; f < 99; f++) {
          const path = `${src}/d${d}/f${f}.txt`;
          writeFileSync(path, `file ${d}/${f}\n`.repeat(f % 7 + 1), {
            mode: f % 3 ? 0o644 : 0o755,
          });
          utimesSync(path, 1_600_000_000 + f, 1_600_000_000 + d * 100 + f);
        }
        symlinkSync(`f0.txt`, `${src}/d${d}/link`);
      }
      utimesSync(`${src}/d7`, 1_500_000_000, 1_500_000_000);
      // Times to the nanosecond (the symlinks have the creation time's too).
      writeFileSync(`${src}/precise`, "ns\n");
      await sh(`touch -d @1600000000.123456789 ${src}/precise`);
      // BuildKit caches copies by content (not times): unique content keeps this run's times.
      writeFileSync(`${src}/run-id`, crypto.randomUUID());
      const client = Client.connect({ addr: ADDR });
      try {
        const first = await roundTrip(client, src, `${dir}/out1`);
        assertEquals(
          describeTree(`${dir}/out1`, { mtimes: true }),
          describeTree(src, { mtimes: true }),
        );
        assertEquals(Object.keys(describeTree(src)).length, 100 * 101 + 2);
        assertEquals(mtimesNs(`${dir}/out1`).get("precise"), 1_600_000_000_123_456_789n);

        writeFileSync(`${src}/d42/f17.txt`, "changed content\n");
        await localSourcesReleased(client);
        const second = await roundTrip(client, src, `${dir}/out2`);
        assertEquals(second.sent.files, 1, "only the changed file is sent again");
        assertEquals(second.sent.bytes, "changed content\n".length);
        assert(
          first.sent.bytes > 100_000,
          `first solve sent everything (${first.sent.bytes} bytes)`,
        );
        assertEquals(await Deno.readTextFile(`${dir}/out2/d42/f17.txt`), "changed content\n");
      } finally {
        client.close();
      }
    }),
});

Deno.test({
  name: "transfer: a 1 GiB file round-trips intact",
  ...opts,
  fn: () =>
    withTempDir(async (dir) => {
      const src = `${dir}/src`;
      mkdirSync(src);
      // 1 MiB of random data repeated with a counter, so every MiB differs.
      await sh(
        `head -c 1048576 /dev/urandom > ${dir}/block && for i in $(seq 1 1024); do cat ${dir}/block; printf '%08d' $i; done | head -c 1073741824 > ${src}/big.bin`,
      );
      const client = Client.connect({ addr: ADDR });
      try {
        const res = await roundTrip(client, src, `${dir}/out`);
        assertEquals(res.sent.bytes, 1 << 30);
        const [a, b] = await Promise.all([
          sh(`sha256sum < ${src}/big.bin`),
          sh(`sha256sum < ${dir}/out/big.bin`),
        ]);
        assertEquals(b, a);
      } finally {
        client.close();
      }
    }),
});

Deno.test({
  name: "transfer: include and exclude patterns pick what is sent; hardlinks stay links",
  ...opts,
  fn: () =>
    withTempDir(async (dir) => {
      const src = `${dir}/src`;
      mkdirSync(`${src}/src/sub`, { recursive: true });
      mkdirSync(`${src}/docs`);
      writeFileSync(`${src}/go.mod`, "module x\n");
      writeFileSync(`${src}/src/a.go`, "package a\n");
      writeFileSync(`${src}/src/a.tmp`, "scratch\n");
      writeFileSync(`${src}/src/sub/b.go`, "package b\n");
      writeFileSync(`${src}/docs/readme`, "docs\n");
      writeFileSync(`${src}/run-id`, crypto.randomUUID());
      const { linkSync, statSync } = await import("node:fs");
      linkSync(`${src}/src/a.go`, `${src}/src/a-link.go`);
      const client = Client.connect({ addr: ADDR });
      try {
        const filtered = local("src", {
          uniqueId: crypto.randomUUID(),
          includePatterns: ["src/**", "go.mod"],
          excludePatterns: ["**/*.tmp"],
        });
        const def =
          marshal(scratch().copy(filtered, "/", "/", { copyDirContentsOnly: true })).bytes;
        const res = await client.solve({
          definition: def,
          locals: { src },
          exports: [{ type: "local", dest: `${dir}/out` }],
        });
        assertEquals(Object.keys(describeTree(`${dir}/out`)), [
          "go.mod",
          "src",
          "src/a-link.go",
          "src/a.go",
          "src/sub",
          "src/sub/b.go",
        ]);
        assertEquals(res.sent.files, 3, "the hardlink's content is sent once");
        assertEquals(statSync(`${dir}/out/src/a.go`).ino, statSync(`${dir}/out/src/a-link.go`).ino);
      } finally {
        client.close();
      }
    }),
});

Deno.test({
  name: "transfer: extended attributes go up and come back",
  ...opts,
  fn: () =>
    withTempDir(async (dir) => {
      const { readXattrs, writeXattrs } = await import("../lib/buildkit/xattr.ts");
      const src = `${dir}/src`;
      mkdirSync(src);
      writeFileSync(`${src}/tagged`, crypto.randomUUID());
      writeXattrs(`${src}/tagged`, { "user.melange2.test": new TextEncoder().encode("value-1") });
      const client = Client.connect({ addr: ADDR });
      try {
        await roundTrip(client, src, `${dir}/out`);
        const got = readXattrs(`${dir}/out/tagged`);
        assertEquals(new TextDecoder().decode(got["user.melange2.test"]), "value-1");
      } finally {
        client.close();
      }
    }),
});

Deno.test({
  name: "transfer: an export of more files than the process may open at once",
  ...opts,
  fn: () =>
    withTempDir(async (dir) => {
      const src = `${dir}/src`;
      for (let d = 0; d < 10; d++) {
        mkdirSync(`${src}/d${d}`, { recursive: true });
        for (let f = 0; f < 300; f++) writeFileSync(`${src}/d${d}/f${f}`, `${d}/${f}\n`);
      }
      writeFileSync(`${src}/run-id`, crypto.randomUUID());
      await Deno.writeFile(`${dir}/def.pb`, roundTripDef(src));
      // 3,001 files under a limit of 512 descriptors: files are opened as their data arrives.
      const out = await runCli([
        "solve",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "quiet",
        "--local",
        `src=${src}`,
        "--output",
        `type=local,dest=${dir}/out`,
        `${dir}/def.pb`,
      ], { wrapper: ["prlimit", "--nofile=512:512"] });
      assertEquals(out.code, 0, out.stderr);
      assertEquals(describeTree(`${dir}/out`), describeTree(src));
    }),
});
