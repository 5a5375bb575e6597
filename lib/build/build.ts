/**
 * `melange2 build`: a melange file to signed APK packages. Per architecture
 * (all of them at once, each on its own platform):
 * compile the file, prepare the build environment, build the LLB graph,
 * solve it on BuildKit (exporting only melange-out), then package, analyze
 * and index what came back.
 */
import { existsSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { CompiledBuild } from "../config/mod.ts";
import { Client, ProgressWriter } from "../buildkit/mod.ts";
import type { Stat } from "../buildkit/packet.ts";
import { localUniqueId, sharedKey } from "../buildkit/identity.ts";
import { describe, marshal } from "../llb/mod.ts";
import { UserError } from "../errors.ts";
import { platformOf } from "./arch.ts";
import { ensureDaemon } from "./daemon.ts";
import { prepareEnvironment } from "./environment.ts";
import { exportFailure, failedStepIndex, type FailureExport } from "./failure.ts";
import { buildGraph, LOCAL_NAMES } from "./graph.ts";
import { packageOutputs } from "./packaging.ts";
import { buildSteps, environmentSpec, type RunOptions } from "./plan.ts";
import { allOrFirstError, progressFor, selectArchs } from "./perarch.ts";

/** Everything `melange2 build` takes. */
export interface BuildOptions extends RunOptions {
  signingKey?: string;
  namespace?: string;
  dumpLlb?: string;
  /** Write the graph's recipe (lib/llb/describe.ts) here and stop. */
  dumpLlbRecipe?: string;
  exportOnFailure?: FailureExport;
  exportRef?: string;
  /** Timestamps in packages (default: $SOURCE_DATE_EPOCH, else 0). */
  sourceDateEpoch?: number;
}

/** What a build wrote. */
export interface BuildResult {
  /** Package files written, by architecture. */
  packages: Record<string, string[]>;
}

/** Builds every selected architecture (lib/build/perarch.ts), side by side. */
export async function build(opts: BuildOptions): Promise<BuildResult> {
  checkOptions(opts);
  const dumping = !!(opts.dumpLlb || opts.dumpLlbRecipe);
  const selected = await selectArchs(opts, { noDaemon: dumping });
  if (dumping && selected.length > 1) {
    throw new UserError(
      `--dump-llb and --dump-llb-recipe write one architecture's graph; name one with --arch ` +
        `(asked for ${selected.map(([a]) => a).join(", ")})`,
    );
  }
  const progress = progressFor(opts.progress, selected.length);
  const written = await allOrFirstError(
    selected,
    opts.signal,
    ([arch, compiled], signal) => buildArch(compiled, arch, { ...opts, progress, signal }),
  );
  const result: BuildResult = { packages: {} };
  selected.forEach(([arch], i) => {
    if (written[i]) result.packages[arch] = written[i]!;
  });
  return result;
}

function checkOptions(opts: BuildOptions): void {
  if (!existsSync(opts.configFile)) throw new UserError(`${opts.configFile}: no such file`);
  if (opts.sourceDir && !isDir(opts.sourceDir)) {
    throw new UserError(`--source-dir ${opts.sourceDir}: not a directory`);
  }
  if (opts.cacheDir && !isDir(opts.cacheDir)) {
    throw new UserError(`--cache-dir ${opts.cacheDir}: not a directory`);
  }
  if (opts.signingKey && !existsSync(opts.signingKey)) {
    throw new UserError(`--signing-key ${opts.signingKey}: no such file`);
  }
  if (opts.exportOnFailure && opts.exportOnFailure !== "none" && !opts.exportRef) {
    throw new UserError(`--export-on-failure ${opts.exportOnFailure} needs --export-ref PATH`);
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** melange's default source directory: `<dir of the file>/<package name>` when it exists. */
function sourceDirOf(compiled: CompiledBuild, opts: BuildOptions): string | undefined {
  if (opts.sourceDir) return resolve(opts.sourceDir);
  const guess = join(dirname(resolve(opts.configFile)), compiled.package.name);
  return isDir(guess) ? guess : undefined;
}

async function buildArch(
  compiled: CompiledBuild,
  arch: string,
  opts: BuildOptions,
): Promise<string[] | undefined> {
  const log = opts.log ?? (() => {});
  const sourceDateEpoch = opts.sourceDateEpoch ?? epochFromEnv();
  const env = await prepareEnvironment(environmentSpec(compiled, arch, opts), log);
  const steps = buildSteps(compiled, sourceDateEpoch);
  const sourceDir = sourceDirOf(compiled, opts);
  const graph = buildGraph({
    steps,
    packages: [compiled.package.name, ...compiled.subpackages.map((s) => s.name)],
    user: compiled.environment.accounts?.["run-as"] || undefined,
    debug: opts.debug,
    withSource: sourceDir !== undefined,
    withCacheDir: opts.cacheDir !== undefined,
    namespace: opts.namespace,
    localIds: {
      environment: localUniqueId(env.root),
      source: sourceDir ? localUniqueId(sourceDir) : undefined,
      cache: opts.cacheDir ? localUniqueId(opts.cacheDir) : undefined,
    },
  });
  const platform = platformOf(arch);
  const definition = marshal(graph.result, { platform });
  if (opts.dumpLlb || opts.dumpLlbRecipe) {
    if (opts.dumpLlb) await Deno.writeFile(opts.dumpLlb, definition.bytes);
    if (opts.dumpLlbRecipe) {
      const recipe = describe(graph.result, { platform });
      await Deno.writeTextFile(opts.dumpLlbRecipe, JSON.stringify(recipe) + "\n");
    }
    return undefined;
  }

  const locals: Record<string, string> = { [LOCAL_NAMES.environment]: env.root };
  if (sourceDir) locals[LOCAL_NAMES.source] = sourceDir;
  if (opts.cacheDir) locals[LOCAL_NAMES.cache] = resolve(opts.cacheDir);
  const { addr } = await ensureDaemon(opts.connect?.addr ?? Deno.env.get("BUILDKIT_HOST"), { log });
  const client = Client.connect({ ...opts.connect, addr });
  const archDir = join(resolve(opts.outDir), arch);
  // The exported trees are staged outside the out directory (as melange's workspace is a
  // temporary directory): a failed or killed build leaves nothing there, not even <out>/<arch>.
  const stagingRoot = Deno.makeTempDirSync({ prefix: "melange2-build-" });
  const staging = join(stagingRoot, "melange-out");
  const exported = new Map<string, Stat>();
  const progress = new ProgressWriter(opts.progress ?? "auto");
  try {
    await client.solve({
      definition: definition.bytes,
      locals,
      exports: [{ type: "local", dest: staging, record: exported }],
      entitlements: ["security.insecure"],
      progress,
      signal: opts.signal,
      sharedKey: sharedKey(Object.values(locals)),
    }).catch(async (err) => {
      const failed = failedStepIndex(progress, graph, platform, steps.map((s) => s.name));
      if (failed !== undefined && opts.exportOnFailure && opts.exportOnFailure !== "none") {
        await exportFailure(client, graph.before[failed], {
          type: opts.exportOnFailure,
          ref: opts.exportRef!,
          platform,
          locals,
          log,
        });
      }
      throw err;
    });
    return await packageOutputs(staging, compiled, arch, {
      archDir,
      signingKey: opts.signingKey,
      sourceDateEpoch,
      signal: opts.signal,
      log,
      namespace: opts.namespace,
      configFile: opts.configFile,
      exported,
    });
  } finally {
    client.close();
    rmSync(stagingRoot, { recursive: true, force: true });
  }
}

function epochFromEnv(): number {
  const v = Deno.env.get("SOURCE_DATE_EPOCH");
  if (v === undefined || v === "") return 0;
  if (!/^\d+$/.test(v)) throw new UserError(`SOURCE_DATE_EPOCH=${v}: expected seconds since 1970`);
  return Number(v);
}
