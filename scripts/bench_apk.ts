/**
 * APK environment benchmark (issue 5): parse Alpine's 4,929-entry index,
 * resolve a ~100-package closure from it, and install the local
 * repository's packages (build-base, go, glibc, busybox: ~110 MB of .apk)
 * side by side with `tar -xzf` of the same files, in one run.
 * Goals: parse < 100 ms, resolve < 20 ms, install within 2x of tar.
 *
 *   deno run -A scripts/bench_apk.ts
 */
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { readIndexArchive } from "../lib/apk/index.ts";
import { resolve, universe } from "../lib/apk/resolve.ts";
import { installEnvironment, resolveEnvironment } from "../lib/apk/environment.ts";
import { ensureLocalRepo } from "./local_repo.ts";

const shared = new URL("../../shared/fixtures", import.meta.url).pathname;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (fn: () => unknown | Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

// Parse.
const indexBytes = readFileSync(join(shared, "alpine/alpine-316/APKINDEX.tar.gz"));
const opts = { allowUntrusted: true, source: "alpine-316" };
const parse: number[] = [];
let pkgs = await readIndexArchive(indexBytes, new Map(), opts);
for (let i = 0; i < 15; i++) {
  parse.push(await time(async () => pkgs = await readIndexArchive(indexBytes, new Map(), opts)));
}
console.log(
  `parse ${pkgs.length}-entry index: median ${median(parse).toFixed(1)} ms (goal < 100 ms)`,
);

// Resolve.
const world = [
  "alpine-base",
  "build-base",
  "python3",
  "perl",
  "git",
  "openssh",
  "curl",
  "bash",
  "cmake",
  "samurai",
  "nodejs",
  "vim",
  "sqlite",
  "lua5.4",
  "ruby",
  "openssl-dev",
  "zlib-dev",
  "py3-setuptools",
  "gdb",
  "tmux",
  "nginx",
];
const u = universe(
  [{ repository: { url: "alpine-316" }, arch: "x86_64", packages: pkgs }],
  "x86_64",
);
let closure = resolve(u, world);
const res: number[] = [];
for (let i = 0; i < 30; i++) res.push(await time(() => closure = resolve(u, world)));
const build: number[] = [];
for (let i = 0; i < 5; i++) {
  build.push(
    await time(() =>
      universe([{ repository: { url: "a" }, arch: "x86_64", packages: pkgs }], "x86_64")
    ),
  );
}
console.log(
  `resolve ${closure.length}-package closure: median ${
    median(res).toFixed(2)
  } ms (goal < 20 ms); ` +
    `index lookup table: ${median(build).toFixed(1)} ms once per index`,
);

// Install vs tar -xzf.
const { repository, publicKey } = await ensureLocalRepo();
const archDir = join(repository, Deno.build.arch === "aarch64" ? "aarch64" : "x86_64");
const apks = readdirSync(archDir).filter((f) => f.endsWith(".apk")).map((f) => join(archDir, f));
const mb = apks.reduce((n, f) => n + statSync(f).size, 0) / 1e6;
const spec = {
  repositories: [repository],
  keyring: [publicKey],
  packages: ["build-base", "go", "busybox", "glibc", "ca-certificates-bundle"],
  arch: Deno.build.arch === "aarch64" ? "aarch64" : "x86_64",
};
const tmp = await Deno.makeTempDir({ prefix: "melange2-bench-apk-" });
const ours: number[] = [];
const tar: number[] = [];
try {
  for (let round = 0; round < 3; round++) {
    const a = join(tmp, `ours-${round}`);
    ours.push(await time(async () => installEnvironment(await resolveEnvironment(spec), a, spec)));
    const b = join(tmp, `tar-${round}`);
    Deno.mkdirSync(b);
    tar.push(
      await time(async () => {
        for (const f of apks) {
          const out = await new Deno.Command("tar", { args: ["-xzf", f, "-C", b], stderr: "null" })
            .output();
          if (!out.success) throw new Error(`tar -xzf ${f} failed`);
        }
      }),
    );
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(
  `install ${apks.length} packages (${mb.toFixed(0)} MB): melange2 ${
    (median(ours) / 1000).toFixed(2)
  } s, ` +
    `tar -xzf ${(median(tar) / 1000).toFixed(2)} s, ratio ${
      (median(ours) / median(tar)).toFixed(2)
    }x (goal <= 2x)`,
);
console.log(
  `  rounds: melange2 ${ours.map((t) => (t / 1000).toFixed(2)).join(" / ")} s; tar ${
    tar.map((t) => (t / 1000).toFixed(2)).join(" / ")
  } s`,
);
