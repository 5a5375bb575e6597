import { assert, assertEquals, assertThrows } from "./assert.ts";
import { createFile } from "../lib/fswrite.ts";
import { lstat } from "../lib/fsstat.ts";
import { libc } from "../lib/libc.ts";
import { withTempDir } from "./support/buildkit.ts";
import { readFileSync, writeFileSync } from "node:fs";

const ways = [["libc", libc()], ["node:fs", null]] as const;

for (const [way, via] of ways) {
  Deno.test(`fswrite (${way}): contents in pieces, then permissions, owner and times to the nanosecond`, () =>
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

  Deno.test(`fswrite (${way}): a file that cannot be created names its path`, () => {
    const err = assertThrows(() => createFile("/nonexistent/melange2/f", via)) as Error;
    assert(err.message.includes("/nonexistent/melange2/f"), err.message);
    if (via) {
      assertEquals(err.message, "creating /nonexistent/melange2/f: No such file or directory");
    }
  });
}

Deno.test("fswrite: a closed writer closes once, and the partial file stays for its caller to remove", () =>
  withTempDir((dir) => {
    const file = createFile(`${dir}/f`);
    file.write(new Uint8Array([1, 2, 3]));
    file.close();
    file.close();
    assertEquals([...readFileSync(`${dir}/f`)], [1, 2, 3]);
    assertEquals(lstat(`${dir}/f`).mode & 0o777, 0o600, "not finished: private");
  }));
