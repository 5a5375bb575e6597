/**
 * A worker that writes one package: Deno's zlib runs on the calling
 * thread, so packaging a package and its subpackages on every core takes
 * one worker per package (package.ts `writePackages`).
 */
/// <reference lib="deno.worker" />
import { diskTree } from "./disktree.ts";
import { type PackageSpec, type WriteOptions, writePackage } from "./package.ts";

/** What the worker is asked to do. */
export interface PackageJob {
  dir: string;
  spec: PackageSpec;
  opts: WriteOptions;
  /** Directories of the package and its subpackages, for the analysis. */
  relatives: string[];
}

self.onmessage = async (e: MessageEvent<PackageJob>) => {
  const { dir, spec, opts, relatives } = e.data;
  try {
    const made = await writePackage(dir, spec, opts, relatives.map((d) => diskTree(d)));
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
