/**
 * Where the local repository's trees come from, per architecture. For this
 * machine's architecture: the installed Debian packages (`dpkg -L`). For a
 * foreign one (aarch64 on an x86_64 machine): Debian's packages of that
 * architecture, downloaded with `apt-get download` (the set-up adds the
 * architecture with `dpkg --add-architecture`) and unpacked with `dpkg-deb
 * -x`, and a Go toolchain cross-compiled from this machine's.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/** Debian's names of melange's architectures. */
export const DEBIAN_ARCH: Record<string, string> = {
  x86_64: "amd64",
  aarch64: "arm64",
  armv7: "armhf",
  x86: "i386",
  ppc64le: "ppc64el",
  s390x: "s390x",
};

/** Go's names of melange's architectures (the toolchain's GOARCH). */
const GO_ARCH: Record<string, string> = {
  x86_64: "amd64",
  aarch64: "arm64",
  ppc64le: "ppc64le",
  s390x: "s390x",
  x86: "386",
};

/** The Debian packages of one architecture that staged trees are made from. */
export interface DebSource {
  /** melange's name of the architecture. */
  arch: string;
  /** The dependency closure of `roots` (first alternative of each), without `skip`. */
  closure(roots: string[], skip: Set<string>): Promise<string[]>;
  /** Puts the files of `debs` into `dir` (documentation left out). */
  copy(debs: string[], dir: string): Promise<void>;
  /** A package's version, reduced to an APK version (`2.36`). */
  version(pkg: string): Promise<string>;
}

/** Paths never packaged: documentation and translations. */
export const SKIP_PREFIXES = [
  "/usr/share/doc",
  "/usr/share/man",
  "/usr/share/info",
  "/usr/share/locale",
  "/usr/share/lintian",
];

/** Runs a command; its standard output, or an error naming it. */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const out = await new Deno.Command(cmd, { args, ...opts, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** A Debian version as an APK version: no epoch, no revision (`1:2.36-9` is `2.36`). */
export function apkVersion(debVersion: string): string {
  return debVersion.replace(/^\d+:/, "").replace(/[-+~].*$/, "");
}

/** What `apt-cache show` says of one package. */
interface AptPackage {
  name: string;
  version: string;
  /** The `.deb`'s file name in the archive (its last path part). */
  file: string;
  depends: string[];
}

/**
 * Debian's packages of a foreign architecture, from apt's lists. The `.deb`s
 * are kept in `debDir` (downloaded once; the archive is a dated snapshot).
 */
export function foreignSource(arch: string, debDir: string): DebSource {
  const debArch = DEBIAN_ARCH[arch];
  if (!debArch) throw new Error(`no Debian architecture for ${arch}`);
  const known = new Map<string, AptPackage | null>();

  /** Looks `names` up (the architecture's package, else an `all` one), caching the answers. */
  async function lookUp(names: string[]): Promise<void> {
    let todo = names.filter((n) => !known.has(n));
    for (const suffix of [`:${debArch}`, ""]) {
      if (!todo.length) return;
      const out = await new Deno.Command("apt-cache", {
        args: ["show", "--no-all-versions", ...todo.map((n) => n + suffix)],
        stdout: "piped",
        stderr: "null",
      }).output();
      for (const para of new TextDecoder().decode(out.stdout).split("\n\n")) {
        const f = fields(para);
        if (!f.Package || (f.Architecture !== debArch && f.Architecture !== "all")) continue;
        known.set(f.Package, {
          name: f.Package,
          version: f.Version,
          file: f.Filename.split("/").at(-1)!,
          depends: `${f.Depends ?? ""},${f["Pre-Depends"] ?? ""}`.split(",")
            .map((d) => d.split("|")[0].trim().split(/[\s:]/)[0]).filter(Boolean),
        });
      }
      todo = todo.filter((n) => !known.has(n));
    }
    // Virtual packages and those this architecture lacks: nothing to take.
    for (const n of todo) known.set(n, null);
  }

  async function download(pkgs: AptPackage[]): Promise<void> {
    mkdirSync(debDir, { recursive: true });
    const missing = pkgs.filter((p) => !existsSync(join(debDir, p.file)));
    if (!missing.length) return;
    const tmp = `${debDir}/.tmp-${crypto.randomUUID().slice(0, 8)}`;
    mkdirSync(tmp);
    try {
      // apt-get download runs as the _apt user when it can: let it write here.
      Deno.chmodSync(tmp, 0o777);
      await run(
        "apt-get",
        [
          "download",
          ...missing.map((p) =>
            `${p.name}:${p.file.endsWith("_all.deb") ? "all" : debArch}=${p.version}`
          ),
        ],
        { cwd: tmp },
      );
      // apt names a file with the version's epoch (`cpp_4%3a12.2.0-3_arm64.deb`), the archive without.
      const got = readdirSync(tmp);
      for (const p of missing) {
        const f = got.find((g) => g.startsWith(`${p.name}_`));
        if (!f) throw new Error(`apt-get download gave no ${p.name} (${p.file})`);
        renameSync(join(tmp, f), join(debDir, p.file));
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  return {
    arch,
    async closure(roots, skip) {
      const seen = new Set<string>();
      let level = roots.filter((r) => !skip.has(r));
      while (level.length) {
        await lookUp(level);
        const next: string[] = [];
        for (const name of level) {
          const p = known.get(name);
          if (seen.has(name) || !p) {
            if (!p && roots.includes(name)) throw new Error(`Debian has no ${name} for ${debArch}`);
            continue;
          }
          seen.add(name);
          for (const d of p.depends) if (!seen.has(d) && !skip.has(d)) next.push(d);
        }
        level = [...new Set(next)];
      }
      return [...seen].sort();
    },
    async copy(debs, dir) {
      await lookUp(debs);
      const pkgs = debs.map((d) => {
        const p = known.get(d);
        if (!p) throw new Error(`Debian has no ${d} for ${debArch}`);
        return p;
      });
      await download(pkgs);
      mkdirSync(dir, { recursive: true });
      for (const p of pkgs) {
        await run("dpkg-deb", ["-x", join(debDir, p.file), dir]);
      }
      for (const prefix of SKIP_PREFIXES) {
        rmSync(join(dir, prefix), { recursive: true, force: true });
      }
    },
    async version(pkg) {
      await lookUp([pkg]);
      const p = known.get(pkg);
      if (!p) throw new Error(`Debian has no ${pkg} for ${debArch}`);
      return apkVersion(p.version);
    },
  };
}

function fields(paragraph: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of paragraph.split("\n")) {
    const m = /^([\w-]+): (.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/**
 * The archive file names of `pkgs` for `arch` (apt's candidates): what a
 * foreign tree is made from, for the repository's fingerprint.
 */
export async function candidateFiles(arch: string, pkgs: string[]): Promise<string> {
  const out = await new Deno.Command("apt-cache", {
    args: ["show", "--no-all-versions", ...pkgs.map((p) => `${p}:${DEBIAN_ARCH[arch]}`)],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.startsWith("Filename:"))
    .join("\n");
}

/** The QEMU user emulator of an architecture (Debian's qemu-user-static). */
export const QEMU: Record<string, string> = {
  x86_64: "qemu-x86_64-static",
  aarch64: "qemu-aarch64-static",
  armv7: "qemu-arm-static",
  ppc64le: "qemu-ppc64le-static",
  s390x: "qemu-s390x-static",
};

/**
 * Cross-compiles this machine's Go toolchain for `arch`: `go` and `gofmt`
 * into `<goroot>/bin`, the tools this machine's toolchain has into
 * `<goroot>/pkg/tool/linux_<goarch>`. The sources and the rest are the same
 * for every architecture and are copied as they are.
 */
export async function crossCompileGo(arch: string, goroot: string, dest: string): Promise<void> {
  const goarch = GO_ARCH[arch];
  if (!goarch) throw new Error(`no Go architecture for ${arch}`);
  const hostTools = join(goroot, "pkg/tool", readdirSync(join(goroot, "pkg/tool"))[0]);
  const tools = readdirSync(hostTools).map((t) => `cmd/${t}`);
  const env = { GOOS: "linux", GOARCH: goarch, CGO_ENABLED: "0" };
  const build = (out: string, pkgs: string[]) =>
    run("go", ["build", "-trimpath", "-o", out + "/", ...pkgs], { cwd: join(goroot, "src"), env });
  mkdirSync(join(dest, "bin"), { recursive: true });
  await build(join(dest, "bin"), ["cmd/go", "cmd/gofmt"]);
  await build(join(dest, "pkg/tool", `linux_${goarch}`), tools);
}
