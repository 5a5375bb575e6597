/** `melange2 build` and `melange2 test`, with melange's flag names. */
import { type Command, InvalidArgumentError, Option } from "commander";
import { existsSync, statSync } from "node:fs";
import { UserError } from "../lib/errors.ts";
import { httpAuthFromEnv } from "../lib/apk/fetch.ts";
import { defaultRequired, defaultWarn } from "../lib/lint/linters.ts";
import { packagesReport } from "../lib/build/report.ts";
import type { RunOptions } from "../lib/build/plan.ts";
import type { ProgressMode } from "../lib/buildkit/progress.ts";
import {
  addCacheFlags,
  addConnectFlags,
  cacheOptions,
  connectOptions,
  interruptSignal,
} from "./buildkit_flags.ts";
import { findBuildFile } from "./buildfile.ts";
import { action } from "./run.ts";

/** Collects a repeatable flag; commas separate values too, as melange's string slices do. */
const list = (v: string, all: string[] = []) => [...all, ...v.split(",").filter(Boolean)];

/** Flags `build` and `test` share. */
function addCommonFlags(cmd: Command): Command {
  return addConnectFlags(cmd)
    .option(
      "--arch <arch>",
      "architectures (repeatable, comma-separated; melange's names or amd64, arm64...; `all`; `host`; default: every one the daemon runs and the repositories have)",
      list,
    )
    .option(
      "--source-dir <dir>",
      "directory copied into the workspace (default: <file's dir>/<package>)",
    )
    .option(
      "-r, --repository-append <repo>",
      "extra repository for the environment (repeatable)",
      list,
    )
    .option(
      "-k, --keyring-append <key>",
      "extra public key for the repositories (repeatable)",
      list,
    )
    .option(
      "--pipeline-dir <dir>",
      "directory searched for pipelines before the built-in ones",
      list,
    )
    .option(
      "--pipeline-dirs <dirs>",
      "directories searched for pipelines before the built-in ones (after --pipeline-dir)",
      list,
    )
    .option("--vars-file <file>", "YAML file of variables that override the file's vars")
    .option(
      "--env-file <file>",
      "file of KEY=VALUE lines for the build environment (repeatable; the build file's own " +
        "values win, then the first file that sets a key)",
      list,
    )
    .option("--empty-workspace", "copy nothing into the workspace")
    .option("--apk-cache-dir <dir>", "cache of fetched APK indexes and packages")
    .option("--ignore-signatures", "accept repositories and packages without a valid signature")
    .option("--debug", "run every step with set -x")
    .option(
      "--privileged",
      "run steps with every capability and the host's devices (BuildKit's security.insecure; " +
        "the daemon must allow it) instead of BuildKit's default sandbox",
    )
    .option(
      "--rm [bool]",
      "accepted for melange's scripts: melange2 keeps no intermediate containers or temp dirs",
      bool,
      true,
    )
    .addOption(
      new Option("--progress <mode>", "progress output").choices([
        "auto",
        "tty",
        "plain",
        "rawjson",
        "quiet",
      ]).default("auto"),
    );
}

/** A melange (pflag) boolean given a value: `--rm=false`, `--generate-index false`. */
function bool(v: string): boolean {
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  throw new InvalidArgumentError(`expected true or false, not "${v}"`);
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The options `build` and `test` share, from parsed flags. */
function runOptions(
  file: string,
  opts: Record<string, any>,
  signal: AbortSignal,
  forBuild = false,
): RunOptions {
  if (opts.workspaceDir !== undefined && !forBuild) {
    throw new UserError(
      `--workspace-dir ${opts.workspaceDir}: test does not support it; tests run on BuildKit ` +
        `in their own workspace (use --source-dir to choose what is copied into it)`,
    );
  }
  httpAuthFromEnv(); // a malformed HTTP_AUTH is refused before anything runs
  const quiet = opts.logLevel === "warn" || opts.logLevel === "error";
  return {
    configFile: file,
    archs: opts.arch,
    sourceDir: opts.sourceDir,
    outDir: opts.outDir,
    repositoryAppend: opts.repositoryAppend,
    keyringAppend: opts.keyringAppend,
    pipelineDirs: [...opts.pipelineDir ?? [], ...opts.pipelineDirs ?? []],
    varsFile: opts.varsFile,
    envFile: opts.envFile,
    cacheDir: opts.cacheDir,
    emptyWorkspace: opts.emptyWorkspace,
    apkCacheDir: opts.apkCacheDir,
    ignoreSignatures: opts.ignoreSignatures,
    debug: opts.debug,
    privileged: opts.privileged,
    progress: opts.progress as ProgressMode,
    connect: connectOptions(opts),
    signal,
    // Progress lines stay; --log-level warn or error drops melange2's own notes.
    log: quiet ? () => {} : (line) => console.error(line),
  };
}

/** Registers `build` and `test`. */
export function register(program: Command): void {
  addCacheFlags(addCommonFlags(
    program
      .command("build")
      .description("Build APK packages from a melange file, every step on BuildKit")
      .argument(
        "[file]",
        "the melange file (default: .melange.yaml, .melange.yml, melange.yaml or melange.yml)",
      ),
  ))
    .option("--out-dir <dir>", "where packages go, as <out>/<arch>/*.apk", "./packages")
    .option(
      "--signing-key <key>",
      "RSA private key that signs the packages and the index (default: melange.rsa if present)",
    )
    .option(
      "--cache-dir <dir>",
      "directory mounted at /var/cache/melange (default: ./melange-cache/ if present)",
    )
    .option(
      "--workspace-dir <dir>",
      "also write the workspace (/home/build) as the build left it to DIR/<arch>",
    )
    .option("--namespace <name>", "namespace of the package URLs in the SBOMs", "unknown")
    .option("--cache-namespace <name>", "namespace of the build's cache keys")
    .option(
      "--build-date <date>",
      "RFC 3339 date of the files in the packages ($SOURCE_DATE_EPOCH wins; default: 1970)",
    )
    .option("--package-append <pkg>", "extra package for the build environment (repeatable)", list)
    .option(
      "--generate-index [bool]",
      "update <out>/<arch>/APKINDEX.tar.gz (--generate-index=false to leave it)",
      bool,
      true,
    )
    .option("--strip-origin-name", "make each package its own origin (bootstrap builds)")
    .option("--create-build-log", "append arch|origin|name|version lines to ./packages.log")
    .option("--git-commit <hash>", "commit recorded in packages whose file sets none")
    .option(
      "--lint-require <linters>",
      `linters that must pass (comma-separated; default: ${defaultRequired().join(",")})`,
      list,
    )
    .option(
      "--lint-warn <linters>",
      `linters that only warn (comma-separated; default: ${defaultWarn().join(",")})`,
      list,
    )
    .option("--persist-lint-results", "keep lint findings as JSON in <out>/<arch>/")
    .option(
      "--cleanup [bool]",
      "accepted for melange's scripts: melange2 leaves no guest temp dirs",
      bool,
      true,
    )
    .option("--dump-llb <file>", "write the LLB definition to FILE and stop")
    .option(
      "--dump-llb-recipe <file>",
      "write the graph as the JSON recipe of its State API calls to FILE and stop",
    )
    .addOption(
      new Option("--export-on-failure <kind>", "on a failed step, export the environment before it")
        .choices(["none", "tarball", "oci"]).default("none"),
    )
    .option("--export-ref <path>", "where --export-on-failure writes the image")
    .action(action(async (arg: string | undefined, local: Record<string, any>, cmd: Command) => {
      // --log-level is the program's, as melange's persistent flag: given before or after `build`.
      const opts: Record<string, any> = { ...local, logLevel: cmd.optsWithGlobals().logLevel };
      const file = findBuildFile(arg);
      // Loaded here, not at start-up: gRPC reads the environment as it loads, and help needs none.
      const { build } = await import("../lib/build/build.ts");
      const interrupt = interruptSignal();
      try {
        const signingKey = opts.signingKey ??
          (existsSync("melange.rsa") ? "melange.rsa" : undefined);
        const result = await build({
          ...runOptions(file, opts, interrupt.signal, true),
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
          ...cacheOptions(opts),
        });
        const report = packagesReport(result.packages, signingKey !== undefined);
        if (report) console.error(report);
      } finally {
        interrupt.dispose();
      }
    }));

  addCommonFlags(
    program
      .command("test")
      .description("Run the test pipelines of a package and its subpackages on BuildKit")
      .argument("<file>", "the melange file")
      .argument("[package]", "only this package or subpackage"),
  )
    .option("--out-dir <dir>", "where the built packages are (<out>/<arch>/)", "./packages")
    .option("--cache-dir <dir>", "directory mounted at /var/cache/melange")
    .option("--workspace-dir <dir>", "not supported: tests run in their own workspace on BuildKit")
    .option(
      "--test-package-append <pkg>",
      "extra package for each test environment (repeatable)",
      list,
    )
    .action(action(
      async (arg: string, pkg: string | undefined, local: Record<string, any>, cmd: Command) => {
        const opts: Record<string, any> = { ...local, logLevel: cmd.optsWithGlobals().logLevel };
        const file = findBuildFile(arg);
        const { runTests } = await import("../lib/build/test.ts");
        const interrupt = interruptSignal();
        try {
          await runTests({
            ...runOptions(file, opts, interrupt.signal),
            packageAppend: opts.testPackageAppend,
            only: pkg,
          });
        } finally {
          interrupt.dispose();
        }
      },
    ));
}
