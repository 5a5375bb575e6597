/**
 * Architectures as melange names them (x86_64, aarch64...) and what they are
 * to BuildKit (OCI platforms).
 */
import { normalizeArch } from "../config/arch.ts";
import type { Platform } from "../llb/mod.ts";

const PLATFORMS: Record<string, Platform> = {
  x86_64: { os: "linux", architecture: "amd64" },
  aarch64: { os: "linux", architecture: "arm64" },
  armv7: { os: "linux", architecture: "arm", variant: "v7" },
  armhf: { os: "linux", architecture: "arm", variant: "v6" },
  x86: { os: "linux", architecture: "386" },
  ppc64le: { os: "linux", architecture: "ppc64le" },
  s390x: { os: "linux", architecture: "s390x" },
  riscv64: { os: "linux", architecture: "riscv64" },
  loongarch64: { os: "linux", architecture: "loong64" },
};

/** melange's name for an architecture given either way (`amd64` is `x86_64`). */
export { normalizeArch };

/** The OCI platform of an architecture. */
export function platformOf(arch: string): Platform {
  return { ...PLATFORMS[normalizeArch(arch)] };
}

/** The architecture this machine runs, as melange names it. */
export function hostArch(): string {
  return normalizeArch(Deno.build.arch === "aarch64" ? "aarch64" : Deno.build.arch);
}
