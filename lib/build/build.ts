/**
 * `melange2 build`: a melange file to signed APK packages. Per architecture
 * (all of them at once, each on its own platform):
 * compile the file, prepare the build environment, build the LLB graph,
 * solve it on BuildKit (exporting only melange-out), then package, analyze
 * and index what came back.
 */
import { existsSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { CompiledBuild } from "../config/mod.ts";
import { Client, ProgressWriter } from "../buildkit/mod.ts";
import type { CacheEntry } from "../buildkit/cache.ts";
import type { Stat } from "../buildkit/packet.ts";
import { localUniqueId, sharedKey } from "../buildkit/identity.ts";
import { describe, marshal } from "../llb/mod.ts";
import { readRegularFile } from "../readfile.ts";
import { buildEpoch } from "./epoch.ts";
import { exportWorkspace } from "./workspace.ts";
import { buildSource } from "./source.ts";
import { type Span, traced } from "./trace.ts";
import { appendBuildLog, configRef } from "./records.ts";
import { parseDuration, withTimeout } from "./timeout.ts";
import type { ConfigFileRef } from "../apk/sbom.ts";
import { UserError } from "../errors.ts";
import { loadSigningKey } from "../apk/signature.ts";
import { lintBuild } from "../lint/build.ts";
import { checkLinterNames } from "../lint/run.ts";
import { platformOf } from "./arch.ts";
import { ensureDaemon } from "./daemon.ts";
import { prepareEnvironment } from "./environment.ts";
import { exportFailure, failedStepIndex, type FailureExport } from "./failure.ts";
import { buildGraph, LOCAL_NAMES } from "./graph.ts";
import { exportDiskFull, makeArchDir } from "./outdir.ts";
import { packageOutputs } from "./packaging.ts";
import { buildSteps, entitlementsFor, environmentSpec, type RunOptions } from "./plan.ts";
import { allOrFirstError, progressFor, selectArchs } from "./perarch.ts";

/** Everything `melange2 build` takes. */
export interface BuildOptions extends RunOptions {
  signingKey?: string;
  /** Package URL namespace of the SBOMs (melange's `--namespace`; default `unknown`). */
  namespace?: string;
  /** Added to every step's cache key: builds in different namespaces share no steps. */
  cacheNamespace?: string;
  /** RFC 3339 date of the files in the packages, unless $SOURCE_DATE_EPOCH is set. */
  buildDate?: string;
  /** Update `<out>/<arch>/APKINDEX.tar.gz` (default true). */
  generateIndex?: boolean;
  /** Each package its own `origin` (bootstrap builds). */
  stripOriginName?: boolean;
  /** Append `arch|origin|name|version` per package to ./packages.log. */
  createBuildLog?: boolean;
  /** Sets the packages' `commit` where the file does not. */
  gitCommit?: string;
  /** Linters that fail the build (default: melange's required ones). */
  lintRequire?: string[];
  /** Linters that only warn (default: melange's warning ones). */
  lintWarn?: string[];
  /** Keep lint findings as JSON in `<out>/<arch>/`. */
  persistLintResults?: boolean;
  /** Also write the workspace (/home/build) as the build left it to `<dir>/<arch>`. */
  workspaceDir?: string;
  /** Where warnings go (lint findings); default: `log`. */
  warn?: (line: string) => void;
  dumpLlb?: string;
  /** Write the graph's recipe (lib/llb/describe.ts) here and stop. */
  dumpLlbRecipe?: string;
  exportOnFailure?: FailureExport;
  exportRef?: string;
  /** Timestamps in packages (default: $SOURCE_DATE_EPOCH, else 0). */
  sourceDateEpoch?: number;
  /**
   * The progress display of an architecture's solve (default: one of
   * `progress`'s mode on stderr); a many-package run sends each to its log.
   */
  newProgress?: (arch: string) => ProgressWriter;
  /** melange's --dependency-log: write the analysis's dependencies to `<file>.<arch>`. */
  dependencyLog?: string;
  /** melange's --git-repo-url: the build file's repository, in the SBOMs. */
  gitRepoUrl?: string;
  /** melange's --license: the build file's own license, in the SBOMs (default NOASSERTION). */
  configLicense?: string;
  /** melange's --generate-provenance: a SLSA statement beside each package. */
  generateProvenance?: boolean;
  /** melange2's version, recorded in provenance. */
  builderVersion?: string;
  /** The build file as the SBOMs name it, when not `configFile` as found here (`rebuild`). */
  sbomConfig?: ConfigFileRef;
  /** melange's --trace: the span the build's spans are children of. */
  trace?: Span;
  /** The --trace file (written by the caller; no input of the build's). */
  traceFile?: string;
  /** melange's --timeout (ms): for a file without `package.timeout`. */
  timeoutMs?: number;
  /** Build cache to export after the solve (`--cache-to`; lib/buildkit/cache.ts). */
  cacheTo?: CacheEntry[];
  /** Build cache to import before it (`--cache-from`). */
  cacheFrom?: CacheEntry[];
  /** Where progress goes (default: standard error); the build server keeps it as the job's log. */
  progressWrite?: (text: string) => void;
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
  const started = new Date();
  const written = await traced(opts.trace, "BuildCmd", (cmd) =>
    allOrFirstError(
      selected,
      opts.signal,
      ([arch, compiled], signal) =>
        traced(
          cmd,
          "BuildPackage",
          (span) =>
            withTimeout(timeoutOf(compiled, opts), signal, (signal) =>
              buildArch(compiled, arch, {
                ...opts,
                progress,
                signal,
                trace: span?.set("arch", arch),
                started,
              })),
        ),
    ));
  const result: BuildResult = { packages: {} };
  selected.forEach(([arch], i) => {
    if (written[i]) result.packages[arch] = written[i]!;
  });
  return result;
}

/** How long a build of `compiled` may run: its `package.timeout`, else --timeout (melange's). */
function timeoutOf(compiled: CompiledBuild, opts: BuildOptions): number | undefined {
  const own = (compiled.package as { timeout?: string }).timeout;
  return own ? parseDuration(own, `${opts.configFile}: package.timeout`) : opts.timeoutMs;
}

function checkOptions(opts: BuildOptions): void {
  buildEpoch(opts.buildDate); // a bad date is refused before anything runs
  checkLinterNames([...opts.lintRequire ?? [], ...opts.lintWarn ?? []]);
  if (!existsSync(opts.configFile)) throw new UserError(`${opts.configFile}: no such file`);
  if (opts.sourceDir && !isDir(opts.sourceDir)) {
    throw new UserError(`--source-dir ${opts.sourceDir}: not a directory`);
  }
  if (opts.cacheDir && !isDir(opts.cacheDir)) {
    throw new UserError(`--cache-dir ${opts.cacheDir}: not a directory`);
  }
  // Read now (a regular file of at most 1 MiB), not after the build: a FIFO would hang there.
  if (opts.signingKey) readRegularFile(opts.signingKey, "--signing-key ", 1 << 20);
  // A wrong key is refused now, not after the build has run.
  if (opts.signingKey) loadSigningKey(opts.signingKey);
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

async function buildArch(
  compiled: CompiledBuild,
  arch: string,
  opts: BuildOptions & { started: Date },
): Promise<string[] | undefined> {
  const log = opts.log ?? (() => {});
  const sourceDateEpoch = opts.sourceDateEpoch ?? buildEpoch(opts.buildDate);
  const graphPackages = [compiled.package.name, ...compiled.subpackages.map((s) => s.name)];
  const env = await traced(
    opts.trace,
    "buildGuest",
    () => prepareEnvironment(environmentSpec(compiled, arch, opts), log, graphPackages),
  );
  const steps = buildSteps(compiled, sourceDateEpoch);
  const source = buildSource({
    configFile: opts.configFile,
    sourceDir: opts.sourceDir,
    emptyWorkspace: opts.emptyWorkspace,
    // What this build writes is no input to it (lib/build/source.ts).
    outputs: [
      opts.outDir,
      opts.workspaceDir,
      opts.traceFile,
      opts.createBuildLog ? "packages.log" : undefined,
    ],
    outputPrefixes: [opts.dependencyLog],
  });
  const sourceDir = source?.dir;
  if (source) log(`populating the workspace from ${source.dir}`);
  opts.debugLog?.(
    `${arch}: workspace ${
      source ? `from ${source.dir}, excluding ${source.exclude?.join(" ") ?? "nothing"}` : "empty"
    }; ` +
      `environment ${env.root}; ${steps.length} steps`,
  );
  const graph = buildGraph({
    steps,
    packages: graphPackages,
    user: compiled.environment.accounts?.["run-as"] || undefined,
    debug: opts.debug,
    privileged: opts.privileged,
    withSource: sourceDir !== undefined,
    sourceExclude: source?.exclude,
    withCacheDir: opts.cacheDir !== undefined,
    namespace: opts.cacheNamespace,
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
  // <out>/<arch> is checked (and made) before the build, with a clear error when it cannot be;
  // a failed build removes it again if it made it and it is still empty.
  const { dir: archDir, undo } = makeArchDir(opts.outDir, arch);
  // The exported trees are staged outside the out directory (as melange's workspace is a
  // temporary directory): a failed or killed build leaves nothing half-written there.
  const stagingRoot = Deno.makeTempDirSync({ prefix: "melange2-build-" });
  const staging = join(stagingRoot, "melange-out");
  const exported = new Map<string, Stat>();
  const progress = opts.newProgress?.(arch) ??
    new ProgressWriter(opts.progress ?? "auto", opts.progressWrite);
  try {
    await traced(opts.trace, "solve", () =>
      client.solve({
        definition: definition.bytes,
        locals,
        exports: [{ type: "local", dest: staging, record: exported }],
        entitlements: entitlementsFor(opts.privileged),
        progress,
        signal: opts.signal,
        sharedKey: sharedKey(Object.values(locals)),
        cacheTo: opts.cacheTo,
        cacheFrom: opts.cacheFrom,
        warn: opts.warn ?? log,
      }).catch(async (err) => {
        const failed = failedStepIndex(progress, graph, platform, steps.map((s) => s.name));
        if (failed !== undefined && opts.exportOnFailure && opts.exportOnFailure !== "none") {
          await exportFailure(client, graph.before[failed], {
            type: opts.exportOnFailure,
            ref: opts.exportRef!,
            platform,
            locals,
            log,
            entitlements: entitlementsFor(opts.privileged),
          });
        }
        throw exportDiskFull(err, stagingRoot) ?? err;
      }));
    if (opts.workspaceDir) {
      await exportWorkspace(client, graph, join(resolve(opts.workspaceDir), arch), {
        platform,
        locals,
        signal: opts.signal,
      });
      log(`wrote the workspace to ${join(opts.workspaceDir, arch)}`);
    }
    // melange's linters, on the trees as built: a required one failing stops the build here.
    await traced(opts.trace, "lint", () =>
      Promise.resolve(lintBuild(staging, compiled, {
        lintRequire: opts.lintRequire,
        lintWarn: opts.lintWarn,
        persistDir: opts.persistLintResults ? archDir : undefined,
      }, opts.warn ?? log)));
    return await traced(opts.trace, "emit", () =>
      packageOutputs(staging, compiled, arch, {
        archDir,
        outDir: opts.outDir,
        signingKey: opts.signingKey,
        sourceDateEpoch,
        signal: opts.signal,
        log,
        namespace: opts.namespace,
        configFile: opts.configFile,
        exported,
        environmentRoot: env.root,
        generateIndex: opts.generateIndex,
        stripOriginName: opts.stripOriginName,
        commit: opts.gitCommit,
        config: configRef(opts),
        dependencyLog: opts.dependencyLog,
        shlibs: env.shlibs,
        provenance: opts.generateProvenance
          ? { started: opts.started, builderVersion: opts.builderVersion ?? "unknown" }
          : undefined,
      })).then((files) => {
        if (opts.createBuildLog) appendBuildLog(compiled, arch, opts);
        return files;
      });
  } catch (err) {
    undo();
    throw err;
  } finally {
    client.close();
    rmSync(stagingRoot, { recursive: true, force: true });
  }
}
