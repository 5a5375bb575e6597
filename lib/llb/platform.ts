/**
 * Platform normalization as containerd's `platforms.Normalize` does it, which
 * BuildKit's client applies to every platform a state carries: lower case,
 * `aarch64` is `arm64`, `arm64/v8` is `arm64`, `armhf` is `arm/v7`, ...
 */
import type { Platform } from "./types.ts";

/** The normalized form of `p`; OS features sorted and deduplicated. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os === "" ? "linux" : p.os.toLowerCase() === "macos" ? "darwin" : p.os.toLowerCase();
  const [architecture, variant] = normalizeArch(p.architecture, p.variant ?? "");
  const out: Platform = { os, architecture };
  if (variant) out.variant = variant;
  if (p.osVersion) out.osVersion = p.osVersion;
  if (p.osFeatures?.length) out.osFeatures = [...new Set(p.osFeatures)].sort(byCodePoint);
  return out;
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function normalizeArch(archIn: string, variantIn: string): [string, string] {
  let arch = archIn.toLowerCase(), variant = variantIn.toLowerCase();
  switch (arch) {
    case "i386":
      return ["386", ""];
    case "x86_64":
    case "x86-64":
    case "amd64":
      return ["amd64", variant === "v1" ? "" : variant];
    case "aarch64":
    case "arm64":
      arch = "arm64";
      if (["8", "v8", "v8.0"].includes(variant)) variant = "";
      else if (["9", "9.0", "v9.0"].includes(variant)) variant = "v9";
      return [arch, variant];
    case "armhf":
      return ["arm", "v7"];
    case "armel":
      return ["arm", "v6"];
    case "arm":
      if (variant === "" || variant === "7") variant = "v7";
      else if (["5", "6", "8"].includes(variant)) variant = `v${variant}`;
      return [arch, variant];
  }
  return [arch, variant];
}
