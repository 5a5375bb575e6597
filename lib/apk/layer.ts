/**
 * An installed environment as an OCI image layer: a gzip tar of the root,
 * entries sorted, owners and modes kept, mtimes clamped, so the same
 * environment always gives the same layer digest.
 */
import { createHash } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import { join } from "node:path";
import zlib from "node:zlib";
import tar from "tar-stream";
import { walkTree } from "./tree.ts";

/** What was written: the layer's digest (compressed) and diff id (uncompressed). */
export interface Layer {
  digest: string;
  diffId: string;
  size: number;
}

/** Writes `root` as a layer tarball at `file`. */
export async function writeLayer(root: string, file: string, sourceDateEpoch = 0): Promise<Layer> {
  const pack = tar.pack();
  const gz = zlib.createGzip({ level: 6 });
  const out = createWriteStream(file);
  const compressed = createHash("sha256");
  const raw = createHash("sha256");
  let size = 0;
  let first = true;
  pack.on("data", (c) => void raw.update(c as Uint8Array));
  gz.on("data", (c: Uint8Array) => {
    if (first) {
      c[9] = 3; // fixed OS byte, as in packages
      first = false;
    }
    compressed.update(c);
    size += c.length;
  });
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
    gz.on("error", reject);
  });
  pack.pipe(gz).pipe(out);
  for (const e of walkTree(root)) {
    const header = {
      name: e.path,
      type: e.kind,
      mode: e.stat.mode & 0o7777,
      uid: e.stat.uid,
      gid: e.stat.gid,
      mtime: new Date(Math.min(Math.floor(e.stat.mtimeMs / 1000), sourceDateEpoch) * 1000),
      linkname: e.linkname,
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (e.kind === "file") pack.entry(header, readFileSync(join(root, e.path)), cb);
      else if (e.kind === "directory" || e.kind === "symlink" || e.kind === "link") {
        pack.entry(header, cb);
      } else resolve(); // devices and fifos have no place in a build environment layer
    });
  }
  pack.finalize();
  await done;
  return {
    digest: `sha256:${compressed.digest("hex")}`,
    diffId: `sha256:${raw.digest("hex")}`,
    size,
  };
}
