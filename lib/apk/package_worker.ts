/**
 * A worker that writes one package: Deno's zlib runs on the calling
 * thread, so packaging a package and its subpackages on every core takes
 * one worker per package (package.ts `writePackages`).
 */
/// <reference lib="deno.worker" />
import {
  analysisTrees,
  type PackageSpec,
  type PackageTree,
  type WriteOptions,
  writePackage,
} from "./package.ts";
import type { EntryMetadata } from "./tree.ts";

/** What the worker is asked to do. */
export interface PackageJob {
  dir: string;
  spec: PackageSpec;
  opts: WriteOptions;
  /** Trees of the package and its subpackages, for the analysis. */
  relatives: PackageTree[];
  metadata?: Map<string, EntryMetadata>;
}

self.onmessage = async (e: MessageEvent<PackageJob>) => {
  const { dir, spec, opts, relatives, metadata } = e.data;
  try {
    const made = await writePackage(dir, spec, opts, analysisTrees(relatives, opts), metadata);
    const bytes = made.bytes.slice().buffer;
    self.postMessage({ ok: true, info: made.info, pkginfo: made.pkginfo, bytes }, [bytes]);
  } catch (err) {
    self.postMessage({
      ok: false,
      message: (err as Error).message,
      user: (err as Error).name === "UserError",
    });
  }
};
