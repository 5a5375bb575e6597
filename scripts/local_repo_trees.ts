/**
 * The trees of the local repository's build-environment packages, staged
 * from what this Debian machine has: busybox from Debian's `busybox`
 * (unpacked by setup.sh), a C toolchain from the installed Debian packages
 * of gcc, binutils, make and libc6-dev (their files as `dpkg -L` lists them), the tools the built-in
 * pipelines need (scanelf, autoconf, automake, libtool, wget...) from theirs,
 * and Go from the machine's Go toolchain. No network is needed. A foreign
 * architecture's trees are the same packages of that architecture, from
 * Debian's archive (local_repo_debs.ts).
 */
import { existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync } from "node:fs";
import { copyFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { linkAlternatives, TOOL_PACKAGES, TOOL_SKIP } from "./local_repo_tools.ts";
import {
  crossCompileGo,
  type DebSource,
  QEMU,
  run as runIn,
  SKIP_PREFIXES,
} from "./local_repo_debs.ts";

/** A staged package: its tree and what goes into `.PKGINFO`. */
export interface StagedPackage {
  name: string;
  version: string;
  description: string;
  license: string;
  dir: string;
  depends: string[];
  /** Names the package also answers to (the pipelines' `needs` use Wolfi's names). */
  provides?: string[];
}

/**
 * Debian packages whose files make `glibc` (the runtime every C program
 * needs), with libcrypt and zlib, which perl and wget load as well as the
 * toolchain (a file can be in one package only).
 */
const GLIBC_DEBS = ["libc6", "libgcc-s1", "libcrypt1", "zlib1g"];

/** Roots of the C toolchain; their installed dependency closure is taken. */
const TOOLCHAIN_ROOTS = ["gcc-12", "cpp-12", "gcc", "cpp", "binutils", "make", "libc6-dev"];

/** Left out of the toolchain: sanitizers, profilers and network auth libraries no build step here needs. */
const TOOLCHAIN_SKIP = new Set([
  "libasan8",
  "liblsan0",
  "libtsan2",
  "libubsan1",
  "libgprofng0",
  "libssl3",
  "libkrb5-3",
  "libgssapi-krb5-2",
  "libk5crypto3",
  "libkrb5support0",
  "libkeyutils1",
  "libcom-err2",
  ...GLIBC_DEBS,
]);

async function run(cmd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** The installed version of a Debian package, reduced to an APK version (`2.36`). */
async function debVersion(pkg: string): Promise<string> {
  const v = (await run("dpkg-query", "-W", "-f=${Version}", pkg)).trim();
  return v.replace(/^\d+:/, "").replace(/[-+~].*$/, "");
}

/** The installed dependency closure of `roots` (first alternative of each dependency). */
async function closure(roots: string[], skip: Set<string>): Promise<string[]> {
  const seen = new Set<string>();
  const todo = [...roots];
  // Depends and Pre-Depends of an installed package; undefined when it is not installed.
  const depends = async (pkg: string) => {
    const out = await run(
      "dpkg-query",
      "-W",
      "-f=${db:Status-Abbrev}|${Depends},${Pre-Depends}",
      pkg,
    ).catch(() => "");
    const [status, fields] = out.split("|");
    return status?.startsWith("ii") ? fields ?? "" : undefined;
  };
  while (todo.length) {
    const pkg = todo.pop()!;
    if (seen.has(pkg) || skip.has(pkg)) continue;
    const fields = await depends(pkg);
    if (fields === undefined && !roots.includes(pkg)) continue;
    seen.add(pkg);
    for (const dep of (fields ?? "").split(",")) {
      // The first alternative that is installed (usrmerge | usr-is-merged).
      for (const alt of dep.split("|")) {
        const name = alt.trim().split(/[\s:]/)[0];
        if (!name) continue;
        if (seen.has(name) || skip.has(name) || (await depends(name)) !== undefined) {
          todo.push(name);
          break;
        }
      }
    }
  }
  return [...seen].sort();
}

/** This machine's installed Debian packages, as a source of staged trees. */
export function installedSource(): DebSource {
  return {
    arch: Deno.build.arch === "aarch64" ? "aarch64" : "x86_64",
    closure,
    copy: copyDebFiles,
    version: debVersion,
  };
}

/** Copies the files `dpkg -L` lists for `debs` into `dir`, keeping symlinks and modes. */
async function copyDebFiles(debs: string[], dir: string): Promise<void> {
  for (const deb of debs) {
    for (const path of (await run("dpkg", "-L", deb)).split("\n")) {
      if (!path.startsWith("/") || path === "/." || SKIP_PREFIXES.some((p) => path.startsWith(p))) {
        continue;
      }
      copyEntry(path, join(dir, path));
    }
  }
}

const MERGED_USR = new Set(["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]);

function copyEntry(from: string, to: string): void {
  if (!existsSync(from) && !isLink(from)) return;
  const st = lstatSync(from);
  // This machine's merged /usr makes /bin, /lib... links; the packages have them as directories.
  if (st.isDirectory() || MERGED_USR.has(from)) {
    mkdirSync(to, { recursive: true });
    return;
  }
  mkdirSync(dirname(to), { recursive: true });
  if (existsSync(to) || isLink(to)) return;
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
  else if (st.isFile()) copyFileSync(from, to);
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Debian's dynamic busybox, unpacked by the set-up (setup.sh): unlike
 * busybox-static's, its shell finds commands in PATH before its own applets.
 */
export const BUSYBOX = join(
  Deno.env.get("MELANGE2_TOOLS") ?? "/opt/melange2",
  "debs/busybox/bin/busybox",
);

/**
 * busybox with a link for every applet, in the places busybox itself lists.
 * A foreign architecture's busybox (from its Debian package) lists them
 * under QEMU, with the staged glibc as its library root.
 */
async function stageBusybox(
  dir: string,
  skip: Set<string>,
  src: DebSource,
  glibc: string,
): Promise<StagedPackage> {
  mkdirSync(join(dir, "bin"), { recursive: true });
  let list: string;
  let version: string;
  if (src === HOST) {
    copyFileSync(BUSYBOX, join(dir, "bin/busybox"));
    list = await run(BUSYBOX, "--list-full");
    version = await debVersion("busybox-static");
  } else {
    const unpacked = `${dir}.deb`;
    await src.copy(["busybox"], unpacked);
    copyFileSync(join(unpacked, "bin/busybox"), join(dir, "bin/busybox"));
    rmSync(unpacked, { recursive: true, force: true });
    list = await runIn(QEMU[src.arch], ["-L", glibc, join(dir, "bin/busybox"), "--list-full"]);
    version = await src.version("busybox");
  }
  Deno.chmodSync(join(dir, "bin/busybox"), 0o755);
  for (const applet of list.split("\n").filter(Boolean)) {
    // Applets the toolchain ships for real (ar, strings...) are left to it.
    if (skip.has(`/${applet}`) || applet === "bin/busybox") continue;
    const target = join(dir, applet);
    mkdirSync(dirname(target), { recursive: true });
    const depth = applet.split("/").length - 1;
    if (!existsSync(target)) symlinkSync(`${"../".repeat(depth)}bin/busybox`, target);
  }
  return {
    name: "busybox",
    version: `${version}-r0`,
    description: "busybox from Debian's busybox, with GNU tar and find",
    license: "GPL-2.0-only",
    dir,
    depends: ["glibc"],
  };
}

/** The machine's CA bundle, as Wolfi's ca-certificates-bundle installs it. */
async function stageCaCertificates(dir: string): Promise<StagedPackage> {
  mkdirSync(join(dir, "etc/ssl/certs"), { recursive: true });
  copyFileSync(
    "/etc/ssl/certs/ca-certificates.crt",
    join(dir, "etc/ssl/certs/ca-certificates.crt"),
  );
  return {
    name: "ca-certificates-bundle",
    version: `${await debVersion("ca-certificates")}-r0`,
    description: "CA certificates, from Debian's ca-certificates",
    license: "MPL-2.0",
    dir,
    depends: [],
  };
}

/** The files (not directories) under `dir`, as absolute paths inside the package. */
async function treeFiles(dir: string): Promise<string[]> {
  return (await run("find", dir, "-not", "-type", "d")).split("\n").filter(Boolean).map((p) =>
    p.slice(dir.length)
  );
}

const HOST = installedSource();

/**
 * Stages busybox, glibc, build-base, go, the CA bundle and the tool packages
 * under `root`, from `src`'s Debian packages (default: the installed ones).
 */
export async function stageTrees(root: string, src: DebSource = HOST): Promise<StagedPackage[]> {
  const glibc = join(root, "glibc");
  await src.copy(GLIBC_DEBS, glibc);
  const toolchain = join(root, "build-base");
  const toolchainDebs = await src.closure(TOOLCHAIN_ROOTS, TOOLCHAIN_SKIP);
  await src.copy(toolchainDebs, toolchain);
  symlinkSync("gcc", join(toolchain, "usr/bin/cc"));
  // Each Debian package goes into one staged package only, its owner; a
  // package that needs one owned by another depends on that other.
  const owner = new Map<string, string>();
  for (const d of GLIBC_DEBS) owner.set(d, "glibc");
  for (const d of toolchainDebs) owner.set(d, "build-base");
  const skip = new Set(TOOL_SKIP);
  // Debian's busybox tar does not recognize a compressed archive by itself,
  // and its find has no -delete, as Wolfi's do (fetch and perl/cleanup rely
  // on them): GNU tar and find come with busybox instead, with the libraries
  // they load, so that busybox alone can run them.
  const busyboxDir = join(root, "busybox");
  const busyboxDebs = (await src.closure(["tar", "findutils"], skip)).filter((d) => !owner.has(d));
  for (const d of busyboxDebs) owner.set(d, "busybox");
  await src.copy(busyboxDebs, busyboxDir);
  const tools: StagedPackage[] = [];
  for (const t of TOOL_PACKAGES) {
    const all = await src.closure(t.debs, new Set([...skip].filter((d) => !t.debs.includes(d))));
    const mine = all.filter((d) => !owner.has(d));
    const others = all.map((d) => owner.get(d)).filter((o): o is string => !!o);
    for (const d of mine) owner.set(d, t.name);
    const dir = join(root, t.name);
    mkdirSync(dir, { recursive: true });
    await src.copy(mine, dir);
    linkAlternatives(dir);
    tools.push({
      name: t.name,
      version: `${await src.version(t.debs[0])}-r0`,
      description: t.description,
      license: t.license,
      dir,
      depends: [...new Set([...t.depends, "busybox", ...others])].sort(),
    });
  }
  // busybox leaves out the applets a real tool installs (ar, strings, wget...).
  const realFiles = new Set(await treeFiles(toolchain));
  for (const t of tools) for (const f of await treeFiles(t.dir)) realFiles.add(f);
  for (const f of await treeFiles(busyboxDir)) realFiles.add(f);
  const busybox = await stageBusybox(busyboxDir, realFiles, src, glibc);
  const go = await stageGo(join(root, "go"), src);
  return [
    busybox,
    {
      name: "glibc",
      version: `${await src.version("libc6")}-r0`,
      description:
        "the GNU C library, from Debian's libc6 and libgcc-s1 (with libcrypt1 and zlib1g)",
      license: "LGPL-2.1-or-later",
      dir: glibc,
      depends: [],
    },
    {
      name: "build-base",
      version: `${await src.version("gcc-12")}-r0`,
      description: "a C toolchain (gcc, binutils, make, libc headers) from Debian packages",
      license: "GPL-3.0-or-later",
      dir: toolchain,
      depends: ["busybox", "glibc"],
      // The toolchain holds binutils and make (Wolfi packages them apart).
      provides: ["binutils", "make"],
    },
    go,
    await stageCaCertificates(join(root, "ca-certificates-bundle")),
    ...tools,
  ];
}

/**
 * The machine's Go toolchain at /usr/lib/go, with `go` and `gofmt` in
 * /usr/bin; for a foreign architecture, its commands cross-compiled.
 */
async function stageGo(dir: string, src: DebSource): Promise<StagedPackage> {
  const goroot = (await run("go", "env", "GOROOT")).trim();
  const version = (await run("go", "env", "GOVERSION")).trim().replace(/^go/, "");
  const dest = join(dir, "usr/lib/go");
  mkdirSync(dest, { recursive: true });
  // What `go build` needs: the tools, the standard library's sources, go.env.
  for (
    const part of [
      ...(src === HOST ? ["bin", "pkg/tool"] : []),
      "pkg/include",
      "src",
      "lib",
      "go.env",
      "VERSION",
      "LICENSE",
    ]
  ) {
    if (!existsSync(join(goroot, part))) continue;
    mkdirSync(dirname(join(dest, part)), { recursive: true });
    await run("cp", "-a", join(goroot, part), join(dest, part));
  }
  if (src !== HOST) await crossCompileGo(src.arch, goroot, dest);
  // The commands' own sources and every testdata directory are not needed to build programs.
  await run("rm", "-rf", join(dest, "src/cmd"));
  await run(
    "find",
    join(dest, "src"),
    "-name",
    "testdata",
    "-type",
    "d",
    "-prune",
    "-exec",
    "rm",
    "-rf",
    "{}",
    "+",
  );
  mkdirSync(join(dir, "usr/bin"), { recursive: true });
  for (const tool of ["go", "gofmt"]) {
    symlinkSync(`../lib/go/bin/${tool}`, join(dir, "usr/bin", tool));
  }
  return {
    name: "go",
    version: `${version}-r0`,
    description: "the Go toolchain of the machine that made this repository",
    license: "BSD-3-Clause",
    dir,
    depends: [],
  };
}
