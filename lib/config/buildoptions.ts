/**
 * melange's `--build-option NAME`: the file's `options.NAME` patch, applied
 * as melange applies it after reading the file: its `vars` override the
 * file's for what is substituted from then on (steps; the package's fields
 * were already replaced), its `environment.contents.packages.add` and
 * `remove` edit the build environment's list, and `${{options.NAME.enabled}}`
 * is `true`. A name the file does not define is only marked enabled, as in
 * melange.
 */
import type { Vars } from "./subst.ts";

/** The package list edits of the enabled options, in order. */
export interface PackagePatch {
  add: string[];
  remove: string[];
}

/** Applies the enabled options to `vars`; returns their package edits. */
export function applyBuildOptions(
  // deno-lint-ignore no-explicit-any
  options: Record<string, any> | undefined,
  enabled: string[],
  vars: Vars,
): PackagePatch[] {
  const patches: PackagePatch[] = [];
  for (const name of enabled) {
    vars.set(`options.${name}.enabled`, "true");
    const opt = options?.[name];
    if (!opt || typeof opt !== "object") continue;
    for (const [k, v] of Object.entries(opt.vars ?? {})) vars.set(`vars.${k}`, String(v));
    const pkgs = opt.environment?.contents?.packages ?? {};
    patches.push({ add: strings(pkgs.add), remove: strings(pkgs.remove) });
  }
  return patches;
}

/** `packages` with each patch's additions appended and removals taken out, in order. */
export function patchPackages(packages: string[], patches: PackagePatch[]): string[] {
  let out = [...packages];
  for (const p of patches) {
    out = [...out, ...p.add];
    out = out.filter((x) => !p.remove.includes(x));
  }
  return out;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}
