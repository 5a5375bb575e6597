/**
 * Architectures as melange names them and the names other tools use:
 * `build.goarch` (apko's own name, which is `arm/v7` for armv7) and the GNU
 * and Rust target triplets, as apko derives them.
 */
import { UserError } from "../errors.ts";

interface ArchFacts {
  go: string;
  gnu: (flavor: string) => string;
  rust: (flavor: string) => string;
}

const ARCHS: Record<string, ArchFacts> = {
  x86_64: {
    go: "amd64",
    gnu: (f) => `x86_64-pc-linux-${f}`,
    rust: (f) => `x86_64-unknown-linux-${f}`,
  },
  aarch64: {
    go: "arm64",
    gnu: (f) => `aarch64-unknown-linux-${f}`,
    rust: (f) => `aarch64-unknown-linux-${f}`,
  },
  armv7: {
    go: "arm/v7",
    gnu: (f) => `armv7l-unknown-linux-${f}eabihf`,
    rust: (f) => `armv7-unknown-linux-${f}eabihf`,
  },
  armhf: {
    go: "arm/v6",
    gnu: (f) => `arm-unknown-linux-${f}eabihf`,
    rust: (f) => `armv6-unknown-linux-${f}eabihf`,
  },
  x86: { go: "386", gnu: (f) => `i486-pc-linux-${f}`, rust: (f) => `i686-unknown-linux-${f}` },
  ppc64le: {
    go: "ppc64le",
    gnu: (f) => `powerpc64le-unknown-linux-${f}`,
    rust: (f) => `powerpc64le-unknown-linux-${f}`,
  },
  s390x: {
    go: "s390x",
    gnu: (f) => `s390x-ibm-linux-${f}`,
    rust: (f) => `s390x-unknown-linux-${f}`,
  },
  // apko has no triplets of its own for these: `<name>-unknown-linux-<flavor>`.
  riscv64: {
    go: "riscv64",
    gnu: (f) => `riscv64-unknown-linux-${f}`,
    rust: (f) => `riscv64-unknown-linux-${f}`,
  },
  loongarch64: {
    go: "loong64",
    gnu: (f) => `loong64-unknown-linux-${f}`,
    rust: (f) => `loong64-unknown-linux-${f}`,
  },
};

const ALIASES: Record<string, string> = {
  amd64: "x86_64",
  arm64: "aarch64",
  "386": "x86",
  "arm/v7": "armv7",
  "arm/v6": "armhf",
  loong64: "loongarch64",
};

/** melange's name for an architecture given either way (`amd64` is `x86_64`). */
export function normalizeArch(arch: string): string {
  const a = arch.replace(/^linux\//, "");
  const name = ALIASES[a] ?? a;
  if (!ARCHS[name]) {
    throw new UserError(
      `unknown architecture "${arch}"; expected one of ${Object.keys(ARCHS).join(", ")}`,
    );
  }
  return name;
}

/** The substitution variables an architecture defines (build flavor `gnu` or `musl`). */
export function archVars(arch: string, flavor = "gnu"): Record<string, string> {
  const name = normalizeArch(arch);
  const a = ARCHS[name];
  return {
    "build.arch": name,
    "build.goarch": a.go,
    "host.triplet.gnu": a.gnu(flavor),
    "host.triplet.rust": a.rust(flavor),
    "cross.triplet.gnu.glibc": a.gnu("gnu"),
    "cross.triplet.gnu.musl": a.gnu("musl"),
    "cross.triplet.rust.glibc": a.rust("gnu"),
    "cross.triplet.rust.musl": a.rust("musl"),
  };
}

/**
 * Whether a package whose `target-architecture` is `targets` is built for
 * `arch`, as melange decides before building: no list, or the deprecated
 * `[all]`, means every architecture; otherwise the list must name it
 * (either spelling: `amd64` is `x86_64`). Compiling never refuses an
 * architecture; the build and test commands skip one this says no to.
 */
export function buildsFor(targets: string[] | undefined, arch: string): boolean {
  if (!targets?.length || (targets.length === 1 && targets[0] === "all")) return true;
  const want = normalizeArch(arch);
  return targets.some((t) => {
    const a = t.replace(/^linux\//, "");
    return (ALIASES[a] ?? a) === want;
  });
}
