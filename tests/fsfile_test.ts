import { assert, assertEquals, assertThrows } from "./assert.ts";
import { createFile, openFile } from "../lib/fsfile.ts";
import { lstat } from "../lib/fsstat.ts";
import { libc } from "../lib/libc.ts";
import { withTempDir } from "./support/buildkit.ts";
import { readFileSync, writeFileSync } from "node:fs";

const ways = [["libc", libc()], ["node:fs", null]] as const;

for (const [way, via] of ways) {
  Deno.test(`fsfile (${way}): contents in pieces, then permissions, owner and times to the nanosecond`, () =>
    withTempDir((dir) => {
      const path = `${dir}/f`;
      writeFileSync(path, "old contents that are longer");
      const file = createFile(path, via);
      file.write(new TextEncoder().encode("hello, "));
      file.write(new Uint8Array(70_000).fill(0x61).subarray(1));
      // Another group needs root; as anyone else the owner is set to what it is.
      const gid = Deno.uid() === 0 ? 4321 : Deno.gid()!;
      let beforePerm = 0;
      file.finish({
        owner: { uid: Deno.uid()!, gid },
        perm: 0o4751,
        mtimeNs: 1_600_000_000_123_456_789n,
        beforePerm: () => beforePerm++,
      });
      const got = readFileSync(path);
      assertEquals(got.length, 7 + 69_999, "truncated, then both pieces");
      assertEquals(new TextDecoder().decode(got.subarray(0, 8)), "hello, a");
      const st = lstat(path);
      assertEquals(st.mode, 0o104751, "setuid kept: set after the owner");
      assertEquals(st.gid, gid);
      assertEquals(st.mtimeNs, 1_600_000_000_123_456_789n);
      assertEquals(beforePerm, 1);
    }));

  Deno.test(`fsfile (${way}): a file reads in chunks to its end, then 0`, () =>
    withTempDir((dir) => {
      const data = new Uint8Array(70_001).map((_, i) => i % 251);
      writeFileSync(`${dir}/f`, data);
      const file = openFile(`${dir}/f`, via);
      const into = new Uint8Array(32_768);
      const got: number[] = [];
      const sizes: number[] = [];
      for (let n; (n = file.read(into)) > 0;) {
        sizes.push(n);
        got.push(...into.subarray(0, n));
      }
      file.close();
      file.close();
      assertEquals(sizes, [32_768, 32_768, 4_465]);
      assertEquals(got, [...data]);
      const err = assertThrows(() => openFile(`${dir}/missing`, via)) as Error;
      assert(err.message.includes(`${dir}/missing`), err.message);
    }));

  Deno.test(`fsfile (${way}): a file that cannot be created names its path`, () => {
    const err = assertThrows(() => createFile("/nonexistent/melange2/f", via)) as Error;
    assert(err.message.includes("/nonexistent/melange2/f"), err.message);
    if (via) {
      assertEquals(err.message, "creating /nonexistent/melange2/f: No such file or directory");
    }
  });
}

Deno.test("fsfile: a closed writer closes once, and the partial file stays for its caller to remove", () =>
  withTempDir((dir) => {
    const file = createFile(`${dir}/f`);
    file.write(new Uint8Array([1, 2, 3]));
    file.close();
    file.close();
    assertEquals([...readFileSync(`${dir}/f`)], [1, 2, 3]);
    assertEquals(lstat(`${dir}/f`).mode & 0o777, 0o600, "not finished: private");
  }));
