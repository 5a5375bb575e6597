/**
 * `--export-on-failure`: when a step fails, the workspace as it was before
 * that step is written as an OCI image (a tarball, or an OCI layout
 * directory) that the user can load and enter to debug.
 */
import { createReadStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import tar from "tar-stream";
import { marshal, type Platform, type State } from "../llb/mod.ts";
import { digestOf } from "../llb/encode.ts";
import type { Client, ProgressWriter } from "../buildkit/mod.ts";
import { UserError } from "../errors.ts";
import type { BuildGraph } from "./graph.ts";

/** What `--export-on-failure` takes. */
export type FailureExport = "none" | "tarball" | "oci";

/** The index of the step whose exec failed, from the solve's progress. */
export function failedStepIndex(
  progress: ProgressWriter,
  graph: BuildGraph,
  platform: Platform,
  names: string[],
): number | undefined {
  const failed = progress.failedStep();
  if (!failed) return undefined;
  const index = graph.after.findIndex((s) => execDigest(s, platform) === failed.digest);
  if (index >= 0) return index;
  // BuildKit rewrites local source ops (it ties them to the session), which
  // changes the digest of everything after them: fall back to the step's
  // name, which is the exec's custom name.
  const byName = names.indexOf(failed.name);
  return byName < 0 ? undefined : byName;
}

/** The digest of the op that produced a state: what progress calls its vertex. */
function execDigest(state: State, platform: Platform): string {
  const def = marshal(state, { platform }).def;
  return digestOf(def[def.length - 1]);
}

/** Options of {@link exportFailure}. */
export interface FailureExportOptions {
  type: Exclude<FailureExport, "none">;
  ref: string;
  platform: Platform;
  locals: Record<string, string>;
  log: (line: string) => void;
  /** The build's entitlements (its steps before the failed one run with them too). */
  entitlements?: string[];
}

/** Solves `state` (cached up to the failed step) and writes it as an image at `ref`. */
export async function exportFailure(
  client: Client,
  state: State,
  opts: FailureExportOptions,
): Promise<void> {
  const ref = resolve(opts.ref);
  mkdirSync(dirname(ref), { recursive: true });
  const tarball = opts.type === "tarball"
    ? ref
    : `${ref}.tmp-${crypto.randomUUID().slice(0, 8)}.tar`;
  try {
    await client.solve({
      definition: marshal(state, { platform: opts.platform }).bytes,
      locals: opts.locals,
      exports: [{ type: "oci", dest: tarball, attrs: { name: "melange2-debug:latest" } }],
      entitlements: opts.entitlements ?? [],
    });
    if (opts.type === "oci") {
      rmSync(ref, { recursive: true, force: true });
      await extractTar(tarball, ref);
    }
    opts.log(`wrote the environment before the failed step to ${ref} (${opts.type})`);
  } catch (err) {
    throw new UserError(`exporting the failed build to ${opts.ref}: ${(err as Error).message}`);
  } finally {
    if (opts.type === "oci") rmSync(tarball, { force: true });
  }
}

/** Unpacks an OCI layout tarball (regular files and directories only) into `dir`. */
async function extractTar(file: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const extract = tar.extract();
  const done = new Promise<void>((resolveDone, reject) => {
    extract.on("entry", (header, stream, next) => {
      const chunks: Uint8Array[] = [];
      stream.on("data", (c) => chunks.push(c as Uint8Array));
      stream.on("end", () => {
        const path = join(dir, header.name);
        if (!path.startsWith(dir + "/")) return reject(new Error(`bad path ${header.name}`));
        if (header.type === "directory") mkdirSync(path, { recursive: true });
        else if (header.type === "file") {
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, Buffer.concat(chunks));
        }
        next();
      });
      stream.resume();
    });
    extract.on("finish", () => resolveDone());
    extract.on("error", reject);
  });
  createReadStream(file).pipe(extract);
  await done;
}
