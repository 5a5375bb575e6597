/**
 * The `yaml` package, as ES modules wherever it can be.
 *
 * Deno resolves `yaml` through the package's `node` export, its CommonJS
 * build, and loading CommonJS starts Deno's Node compatibility layer
 * (node:module, node:process): about 15 ms of a one-file `compile`, which
 * melange does in 20. The package ships the same code as ES modules
 * (`browser/dist/`, typed `module`), which Deno loads like our own; it is
 * reached through the path of the resolved entry, as no export names it.
 * Anywhere that path is not a file (a bundle, where `yaml` is already
 * inlined), the package is imported as usual.
 */
import type * as Yaml from "yaml";

const ENTRY = "/dist/index.js";
const ESM_ENTRY = "/browser/dist/index.js";

async function load(): Promise<typeof Yaml> {
  let entry: string | undefined;
  try {
    entry = import.meta.resolve("yaml");
  } catch { /* no import map here (a bundle) */ }
  if (entry?.startsWith("file:") && entry.endsWith(ENTRY)) {
    try {
      return await import(entry.slice(0, -ENTRY.length) + ESM_ENTRY);
    } catch { /* a layout other than 2.x's: the package's own entry below */ }
  }
  const mod = await import("yaml");
  // A bundler's CommonJS wrapper may put the exports under `default`.
  return ("parseDocument" in mod ? mod : (mod as { default: typeof Yaml }).default);
}

/** The yaml package's API (parse, parseDocument, stringify, node types). */
export const YAML: typeof Yaml = await load();
