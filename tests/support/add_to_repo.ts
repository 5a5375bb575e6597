/**
 * A separate process adding packages to a repository directory, for the
 * out-directory concurrency tests: `add_to_repo.ts DIR KEY APK...`.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { readApk } from "../../lib/apk/archive.ts";
import { emptyPackage } from "../../lib/apk/index.ts";
import { addToRepository } from "../../lib/apk/outdir.ts";

const [dir, key, ...files] = Deno.args;
const made = await Promise.all(files.map(async (file) => {
  const bytes = readFileSync(file);
  const apk = await readApk(bytes, new Map(), { allowUntrusted: true, source: file });
  return {
    info: {
      ...emptyPackage(apk.info.pkgname, apk.info.pkgver, apk.info.arch),
      checksum: apk.checksum,
      size: bytes.length,
    },
    bytes,
  };
}));
await addToRepository(dir, made, {
  signingKey: { name: basename(key), pem: readFileSync(key, "utf8") },
});
