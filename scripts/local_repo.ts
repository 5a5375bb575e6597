/**
 * The local signed repository of build-environment packages the examples
 * and tests build with: busybox, glibc, build-base, go and the built-in
 * pipelines' tools staged from this machine (local_repo_trees.ts) for its
 * own architecture, and from Debian's packages of the other one (aarch64 on
 * x86_64, local_repo_debs.ts), packaged and signed by melange2's own
 * writer, with an index per architecture. Made once and kept outside the repository; made
 * again only when what it is made from changes.
 *
 *   deno run -A scripts/local_repo.ts [DIR]   (default /var/cache/melange2/local-repo)
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { generateKey, writePackages } from "../lib/apk/package.ts";
import { writeIndexArchive } from "../lib/apk/index.ts";
import { BUSYBOX, stageTrees } from "./local_repo_trees.ts";
import { TOOL_DEBS } from "./local_repo_tools.ts";
import { candidateFiles, DEBIAN_ARCH, foreignSource } from "./local_repo_debs.ts";

/** Where the set-up keeps its tools (and the foreign architectures' downloaded .debs). */
const TOOLS = Deno.env.get("MELANGE2_TOOLS") ?? "/opt/melange2";

/** Where the examples expect the repository. */
export const LOCAL_REPO = Deno.env.get("MELANGE2_LOCAL_REPO") ?? "/var/cache/melange2/local-repo";

/** The name of the repository's signing key (public half: `<name>.pub`). */
export const LOCAL_KEY = "melange2-local.rsa";

/** The architectures the repository holds: this machine's, and aarch64 or x86_64 beside it. */
export const LOCAL_ARCHS: string[] = Deno.build.arch === "aarch64"
  ? ["aarch64", "x86_64"]
  : ["x86_64", "aarch64"];

const HOST_ARCH = LOCAL_ARCHS[0];

/** The Debian packages whose versions make an architecture's trees. */
const ROOT_DEBS = ["libc6", "gcc-12", "binutils", "make", "tar", "findutils", ...TOOL_DEBS];

/** What an architecture's packages are made from: when this changes, they are made again. */
async function fingerprint(arch: string): Promise<string> {
  const run = async (cmd: string, ...args: string[]) =>
    new TextDecoder().decode((await new Deno.Command(cmd, { args }).output()).stdout);
  if (!existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} is missing: scripts/setup.sh unpacks it (fetch_busybox)`);
  }
  const parts = [
    readFileSync(new URL("./local_repo_trees.ts", import.meta.url)),
    readFileSync(new URL("./local_repo_debs.ts", import.meta.url)),
    readFileSync(new URL("./local_repo.ts", import.meta.url)),
    readFileSync(new URL("./local_repo_tools.ts", import.meta.url)),
    await run("go", "version"),
    ...(arch === HOST_ARCH
      ? [
        readFileSync(BUSYBOX),
        await run("dpkg-query", "-W", "busybox-static", ...ROOT_DEBS),
      ]
      : [await candidateFiles(arch, ["busybox", ...ROOT_DEBS])]),
  ];
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

/**
 * Makes the repository at `dir` unless it is already there and current:
 * one signing key, and for each architecture `<dir>/<arch>/` with its
 * packages and signed index, each made again only when what it is made from
 * changes. A foreign architecture is made from Debian's packages of that
 * architecture (the set-up adds it to dpkg) and runs its busybox under QEMU.
 */
export async function ensureLocalRepo(
  dir = LOCAL_REPO,
  log: (line: string) => void = console.error,
  archs: string[] = LOCAL_ARCHS,
): Promise<{ repository: string; publicKey: string }> {
  const publicKey = join(dir, `${LOCAL_KEY}.pub`);
  if (!existsSync(join(dir, LOCAL_KEY))) {
    // A new key: whatever was signed with an old one goes.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const tmp = await Deno.makeTempDir({ dir, prefix: ".key-" });
    await generateKey(LOCAL_KEY, tmp);
    renameSync(join(tmp, `${LOCAL_KEY}.pub`), publicKey);
    renameSync(join(tmp, LOCAL_KEY), join(dir, LOCAL_KEY));
    rmSync(tmp, { recursive: true });
  }
  // The layout before architectures were made apart had one stamp for all.
  rmSync(join(dir, ".fingerprint"), { force: true });
  const key = { name: LOCAL_KEY, pem: readFileSync(join(dir, LOCAL_KEY), "utf8") };
  for (const arch of archs) {
    const want = await fingerprint(arch);
    const stamp = join(dir, arch, ".fingerprint");
    if (existsSync(stamp) && readFileSync(stamp, "utf8") === want) continue;
    await makeArch(dir, arch, key, want, log);
  }
  return { repository: dir, publicKey };
}

/** Stages, packages, signs and indexes one architecture into `<dir>/<arch>/`. */
async function makeArch(
  dir: string,
  arch: string,
  key: { name: string; pem: string },
  stampText: string,
  log: (line: string) => void,
): Promise<void> {
  log(`making the local repository's ${arch} packages at ${join(dir, arch)}`);
  const tmp = join(dir, `.${arch}.tmp-${crypto.randomUUID().slice(0, 8)}`);
  const stage = await Deno.makeTempDir({ prefix: "melange2-stage-" });
  try {
    mkdirSync(tmp, { recursive: true });
    const src = arch === HOST_ARCH
      ? undefined
      : foreignSource(arch, join(TOOLS, "debs", DEBIAN_ARCH[arch]));
    const staged = await stageTrees(stage, src);
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
    for (const m of made) {
      writeFileSync(join(tmp, `${m.info.name}-${m.info.version}.apk`), m.bytes);
    }
    const infos = made.map((m) => m.info).sort((a, b) => (a.name < b.name ? -1 : 1));
    writeFileSync(
      join(tmp, "APKINDEX.tar.gz"),
      await writeIndexArchive(infos, { signingKey: key }),
    );
    writeFileSync(join(tmp, ".fingerprint"), stampText);
    rmSync(join(dir, arch), { recursive: true, force: true });
    renameSync(tmp, join(dir, arch));
    log(
      `local repository (${arch}) ready: ${
        made.map((m) => `${m.info.name}-${m.info.version}`).join(", ")
      }`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.main) await ensureLocalRepo(Deno.args[0]);
