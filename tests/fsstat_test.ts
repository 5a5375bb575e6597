import { assert, assertEquals, assertThrows } from "./assert.ts";
import { lstat } from "../lib/fsstat.ts";
import { sh, withTempDir } from "./support/buildkit.ts";
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";

Deno.test("fsstat: lstat reads times to the nanosecond, modes, sizes and links without following symlinks", () =>
  withTempDir(async (dir) => {
    writeFileSync(`${dir}/f`, "12345", { mode: 0o640 });
    await sh(`chmod 640 ${dir}/f && touch -h -d @1600000000.123456789 ${dir}/f`);
    linkSync(`${dir}/f`, `${dir}/g`);
    symlinkSync("f", `${dir}/l`);
    await sh(`touch -h -d @1500000000.000000001 ${dir}/l`);
    mkdirSync(`${dir}/d`, { mode: 0o750 });

    const f = lstat(`${dir}/f`);
    assertEquals(f.mtimeNs, 1_600_000_000_123_456_789n);
    assertEquals(f.mode, 0o100640);
    assertEquals(f.size, 5);
    assertEquals(f.nlink, 2);
    assertEquals(f.uid, Deno.uid());
    assertEquals(lstat(`${dir}/g`).inode, f.inode);

    const l = lstat(`${dir}/l`);
    assertEquals(l.mode & 0o170000, 0o120000, "the symlink itself");
    assertEquals(l.mtimeNs, 1_500_000_000_000_000_001n);
    assert(l.inode !== f.inode);
    assertEquals(lstat(`${dir}/d`).mode & 0o170000, 0o040000);
  }));

Deno.test("fsstat: lstat of a missing path throws node's ENOENT", () => {
  const err = assertThrows(() => lstat("/nonexistent/melange2")) as Error & { code?: string };
  assertEquals(err.code, "ENOENT");
});

Deno.test("fsstat: lstat of a character device reports its major and minor numbers", () => {
  const st = lstat("/dev/null");
  assertEquals(st.mode & 0o170000, 0o020000);
  assertEquals([st.rdevMajor, st.rdevMinor], [1, 3]);
});
