/**
 * The local signed repository of build-environment packages the examples
 * and tests build with: busybox, glibc, build-base, go and the built-in
 * pipelines' tools staged from this machine (local_repo_trees.ts), packaged and signed by melange2's own
 * writer, with an index. Made once and kept outside the repository; made
 * again only when what it is made from changes.
 *
 *   deno run -A scripts/local_repo.ts [DIR]   (default /var/cache/melange2/local-repo)
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { generateKey, writePackages } from "../lib/apk/package.ts";
import { writeIndexArchive } from "../lib/apk/index.ts";
import { BUSYBOX, stageTrees, TOOL_DEBS } from "./local_repo_trees.ts";

/** Where the examples expect the repository. */
export const LOCAL_REPO = Deno.env.get("MELANGE2_LOCAL_REPO") ?? "/var/cache/melange2/local-repo";

/** The name of the repository's signing key (public half: `<name>.pub`). */
export const LOCAL_KEY = "melange2-local.rsa";

/** What the repository is made from: when this changes, it is made again. */
async function fingerprint(): Promise<string> {
  const run = async (cmd: string, ...args: string[]) =>
    new TextDecoder().decode((await new Deno.Command(cmd, { args }).output()).stdout);
  const parts = [
    readFileSync(new URL("./local_repo_trees.ts", import.meta.url)),
    readFileSync(new URL("./local_repo.ts", import.meta.url)),
    readFileSync(BUSYBOX),
    await run("dpkg-query", "-W", "busybox-static", "libc6", "gcc-12", "binutils", "make"),
    await run("dpkg-query", "-W", "tar", "findutils", ...TOOL_DEBS),
    await run("go", "version"),
  ];
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

/** Makes the repository at `dir` unless it is already there and current. */
export async function ensureLocalRepo(
  dir = LOCAL_REPO,
  log: (line: string) => void = console.error,
): Promise<{ repository: string; publicKey: string }> {
  const publicKey = join(dir, `${LOCAL_KEY}.pub`);
  const stamp = join(dir, ".fingerprint");
  const want = await fingerprint();
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === want) {
    return { repository: dir, publicKey };
  }
  log(`making the local repository at ${dir}`);
  const tmp = `${dir}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  const stage = await Deno.makeTempDir({ prefix: "melange2-stage-" });
  try {
    mkdirSync(tmp, { recursive: true });
    // Keep the key across remakes, so environments keep verifying.
    if (existsSync(join(dir, LOCAL_KEY))) {
      for (const f of [LOCAL_KEY, `${LOCAL_KEY}.pub`]) {
        writeFileSync(join(tmp, f), readFileSync(join(dir, f)), { mode: 0o600 });
      }
    } else {
      await generateKey(LOCAL_KEY, tmp);
    }
    const key = { name: LOCAL_KEY, pem: readFileSync(join(tmp, LOCAL_KEY), "utf8") };
    const staged = await stageTrees(stage);
    const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
    const made = await writePackages(
      staged.map((p) => ({
        dir: p.dir,
        spec: {
          name: p.name,
          version: p.version,
          epoch: 0,
          arch,
          description: p.description,
          license: p.license,
          origin: p.name,
          dependencies: { runtime: p.depends, provides: p.provides ?? [], replaces: [] },
          // Trees taken from Debian need what Debian's other packages provide;
          // here their dependencies are the declared ones, not the analyzed ones.
          options: { noDepends: true },
        },
      })),
      { sourceDateEpoch: 0, signingKey: key },
    );
    mkdirSync(join(tmp, arch));
    for (const m of made) {
      writeFileSync(join(tmp, arch, `${m.info.name}-${m.info.version}.apk`), m.bytes);
    }
    const infos = made.map((m) => m.info).sort((a, b) => (a.name < b.name ? -1 : 1));
    writeFileSync(
      join(tmp, arch, "APKINDEX.tar.gz"),
      await writeIndexArchive(infos, { signingKey: key }),
    );
    writeFileSync(join(tmp, ".fingerprint"), want);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    log(
      `local repository ready: ${made.map((m) => `${m.info.name}-${m.info.version}`).join(", ")}`,
    );
    return { repository: dir, publicKey };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.main) await ensureLocalRepo(Deno.args[0]);
