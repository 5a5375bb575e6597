/** What `melange2 build` and `melange2 test` run, loaded when they run (cli/build.ts registers them). */
import { existsSync } from "node:fs";
import { packagesReport } from "../lib/build/report.ts";
import type { BuildOptions } from "../lib/build/build.ts";
import { parseDuration } from "../lib/build/timeout.ts";
import { interruptSignal } from "./buildkit_flags.ts";
import { findBuildFile } from "./buildfile.ts";
import { cacheOptions, isDir, runOptions, startTrace } from "./run_options.ts";
import { VERSION } from "./version.ts";

/** `build`: one file, or many in dependency order; `opts` are its parsed flags and --log-level. */
export async function buildCommand(args: string[], opts: Record<string, any>): Promise<void> {
  const many = args.length > 1 || (args.length === 1 && isDir(args[0])) ||
    opts.backends !== undefined || (opts.buildkitAddr?.length ?? 0) > 1;
  const interrupt = interruptSignal();
  if (many) {
    try {
      const { buildManyCommand } = await import("./build_many.ts");
      const base = buildOptions(".", opts, interrupt.signal);
      return await buildManyCommand(args, opts, base, interrupt.signal);
    } finally {
      interrupt.dispose();
    }
  }
  const file = findBuildFile(args[0]);
  // Loaded here, not at start-up: gRPC reads the environment as it loads, and help needs none.
  const { build } = await import("../lib/build/build.ts");
  const trace = opts.trace ? startTrace(opts.trace) : undefined;
  try {
    const options = buildOptions(file, opts, interrupt.signal);
    const result = await build({ ...options, trace: trace?.span, traceFile: opts.trace })
      .catch((err) => {
        trace?.span.end(err);
        throw err;
      });
    trace?.span.end();
    const report = packagesReport(result.packages, options.signingKey !== undefined);
    if (report) console.error(report);
  } finally {
    interrupt.dispose();
    trace?.write();
  }
}

/** `test`: the test pipelines of `arg`'s package (or only `pkg`). */
export async function testCommand(
  arg: string,
  pkg: string | undefined,
  opts: Record<string, any>,
): Promise<void> {
  const file = findBuildFile(arg);
  const { runTests } = await import("../lib/build/test.ts");
  const interrupt = interruptSignal();
  try {
    await runTests({
      ...runOptions(file, opts, interrupt.signal),
      packageAppend: opts.testPackageAppend,
      only: pkg,
      workspaceDir: opts.workspaceDir,
    });
  } finally {
    interrupt.dispose();
  }
}

/** The build's options from parsed flags (melange's defaults for the key and cache dir). */
function buildOptions(file: string, opts: Record<string, any>, signal: AbortSignal): BuildOptions {
  const signingKey = opts.signingKey ?? (existsSync("melange.rsa") ? "melange.rsa" : undefined);
  return {
    ...runOptions(file, opts, signal),
    workspaceDir: opts.workspaceDir,
    cacheDir: opts.cacheDir ?? (isDir("melange-cache") ? "./melange-cache/" : undefined),
    signingKey,
    namespace: opts.namespace,
    cacheNamespace: opts.cacheNamespace,
    buildDate: opts.buildDate,
    packageAppend: opts.packageAppend,
    generateIndex: opts.generateIndex,
    stripOriginName: opts.stripOriginName,
    createBuildLog: opts.createBuildLog,
    gitCommit: opts.gitCommit,
    lintRequire: opts.lintRequire,
    lintWarn: opts.lintWarn,
    persistLintResults: opts.persistLintResults,
    warn: opts.logLevel === "error" ? () => {} : (line) => console.error(line),
    dumpLlb: opts.dumpLlb,
    dumpLlbRecipe: opts.dumpLlbRecipe,
    exportOnFailure: opts.exportOnFailure,
    exportRef: opts.exportRef,
    dependencyLog: opts.dependencyLog,
    gitRepoUrl: opts.gitRepoUrl,
    configLicense: opts.license,
    generateProvenance: opts.generateProvenance,
    builderVersion: VERSION,
    timeoutMs: opts.timeout ? parseDuration(opts.timeout, "--timeout") : undefined,
    ...cacheOptions(opts),
  };
}
