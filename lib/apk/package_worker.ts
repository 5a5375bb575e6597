/**
 * A worker that writes one package: Deno's zlib runs on the calling
 * thread, so packaging a package and its subpackages on every core takes
 * one worker per package (package.ts `writePackages`).
 */
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

/**
 * The worker's global scope, typed here rather than with Deno's worker lib
 * (a triple-slash lib reference changes the globals of every module that
 * imports this one, which JSR refuses).
 */
const scope = self as unknown as {
  onmessage: (e: MessageEvent<PackageJob>) => void;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = async (e: MessageEvent<PackageJob>) => {
  const { dir, spec, opts, relatives, metadata } = e.data;
  try {
    const made = await writePackage(dir, spec, opts, analysisTrees(relatives, opts), metadata);
    const bytes = made.bytes.slice().buffer;
    scope.postMessage({
      ok: true,
      info: made.info,
      pkginfo: made.pkginfo,
      bytes,
      generated: made.generated,
    }, [
      bytes,
    ]);
  } catch (err) {
    scope.postMessage({
      ok: false,
      message: (err as Error).message,
      user: (err as Error).name === "UserError",
    });
  }
};
