/**
 * Which architectures a build or test runs for. `--arch` values are read as
 * melange reads them (apko's ParseArchitectures: `all` alone is every one,
 * `host` alone is this machine's, `amd64` is `x86_64`, `arm64` is
 * `aarch64`...). With no `--arch`, melange builds every architecture; here,
 * every one the daemon's workers run (natively or under QEMU emulation) and
 * the build environment's repositories have an index for, since a build for
 * an architecture either lacks cannot work. An architecture asked for by
 * name that the daemon cannot run is one clear error naming it and how to
 * add emulation.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { isUrl } from "../apk/fetch.ts";
import { parseRepository } from "../apk/repository.ts";
import { hostArch, normalizeArch, platformOf } from "./arch.ts";

/** melange's architectures (apko's AllArchs), in apko's order (by OCI name). */
export const ALL_ARCHS = [
  "x86",
  "x86_64",
  "armhf",
  "armv7",
  "aarch64",
  "loongarch64",
  "ppc64le",
  "riscv64",
  "s390x",
];

/**
 * `--arch` values as melange parses them: `all` alone is every architecture,
 * `host` alone this machine's; the others normalized, deduplicated and in
 * apko's order. Undefined when none is given (the caller's default).
 */
export function parseArchs(values: string[] | undefined): string[] | undefined {
  if (!values?.length) return undefined;
  if (values.length === 1 && values[0] === "all") return [...ALL_ARCHS];
  if (values.length === 1 && values[0] === "host") return [hostArch()];
  const wanted = new Set(values.map(normalizeArch));
  return ALL_ARCHS.filter((a) => wanted.has(a));
}

/** A platform as BuildKit's ListWorkers reports it. */
export interface WorkerPlatform {
  OS?: string;
  Architecture?: string;
  Variant?: string;
}

/** `os/arch[/variant]`, as buildctl prints a platform. */
export function platformString(p: WorkerPlatform): string {
  return `${p.OS}/${p.Architecture}${p.Variant ? `/${p.Variant}` : ""}`;
}

/**
 * melange's name of the architecture a platform runs; undefined for one
 * melange has no name for. `linux/amd64/v2`... are x86_64 (micro-architecture
 * levels), `linux/arm/v7` is armv7 and `linux/arm/v6` armhf.
 */
export function archOfPlatform(p: WorkerPlatform): string | undefined {
  if (p.OS !== "linux") return undefined;
  for (const arch of ALL_ARCHS) {
    const want = platformOf(arch);
    if (want.architecture !== p.Architecture) continue;
    if (want.variant && want.variant !== p.Variant) continue;
    if (!want.variant && p.Architecture !== "amd64" && p.Variant) continue;
    return arch;
  }
  return undefined;
}

/** The architectures the workers run, in apko's order. */
export function workerArchs(workers: { platforms?: WorkerPlatform[] }[]): string[] {
  const have = new Set<string>();
  for (const w of workers) {
    for (const p of w.platforms ?? []) {
      const arch = archOfPlatform(p);
      if (arch) have.add(arch);
    }
  }
  return ALL_ARCHS.filter((a) => have.has(a));
}

/**
 * Throws the error for architectures asked for by name that the daemon at
 * `addr` cannot run: the missing platforms, and how to add them.
 */
export function checkRunnable(
  wanted: string[],
  workers: { platforms?: WorkerPlatform[] }[],
  addr: string,
): void {
  const have = new Set(workerArchs(workers));
  const missing = wanted.filter((a) => !have.has(a));
  if (!missing.length) return;
  const names = missing.map((a) => `${platformString(ociPlatform(a))} (${a})`).join(", ");
  const runs = workers.flatMap((w) => (w.platforms ?? []).map(platformString));
  throw new UserError(
    `the BuildKit daemon at ${addr} cannot run ${names}: it runs ${
      runs.join(", ") || "nothing"
    }. ` +
      `To emulate a foreign architecture, install QEMU user emulation on the daemon's machine ` +
      `(Debian: apt-get install qemu-user-static) with its binfmt_misc handlers registered with ` +
      `the F (fix-binary) flag, as scripts/setup.sh does, then restart buildkitd (it looks for ` +
      `emulators when it starts); or name a daemon that runs it with --buildkit-addr.`,
  );
}

function ociPlatform(arch: string): WorkerPlatform {
  const p = platformOf(arch);
  return { OS: p.os, Architecture: p.architecture, Variant: p.variant };
}

/**
 * Whether every local repository in `repositories` has an index for `arch`
 * (`<repo>/<arch>/APKINDEX.tar.gz`). Remote ones are asked with a HEAD request;
 * one that cannot be asked counts as having it (the build then says why not).
 */
export async function repositoriesServe(repositories: string[], arch: string): Promise<boolean> {
  for (const line of repositories) {
    const { url } = parseRepository(line);
    if (!isUrl(url)) {
      if (!existsSync(join(url, arch, "APKINDEX.tar.gz"))) return false;
      continue;
    }
    try {
      const res = await fetch(`${url}/${arch}/APKINDEX.tar.gz`, { method: "HEAD" });
      await res.body?.cancel();
      if (res.status === 404) return false;
    } catch {
      // Unreachable now: the build reports it with its context.
    }
  }
  return true;
}
