/** `melange2 build` and `melange2 test`, with melange's flag names. */
import { type Command, Option } from "commander";
import { build } from "../lib/build/build.ts";
import { runTests } from "../lib/build/test.ts";
import { packagesReport } from "../lib/build/report.ts";
import type { RunOptions } from "../lib/build/plan.ts";
import type { ProgressMode } from "../lib/buildkit/progress.ts";
import { addConnectFlags, connectOptions, interruptSignal } from "./buildkit_flags.ts";
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
    .option("--vars-file <file>", "YAML file of variables that override the file's vars")
    .option("--env-file <file>", "file of KEY=VALUE lines added to the build environment")
    .option("--cache-dir <dir>", "directory mounted at /var/cache/melange")
    .option("--debug", "run every step with set -x")
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

/** The options `build` and `test` share, from parsed flags. */
function runOptions(file: string, opts: Record<string, any>, signal: AbortSignal): RunOptions {
  return {
    configFile: file,
    archs: opts.arch,
    sourceDir: opts.sourceDir,
    outDir: opts.outDir,
    repositoryAppend: opts.repositoryAppend,
    keyringAppend: opts.keyringAppend,
    pipelineDirs: opts.pipelineDir,
    varsFile: opts.varsFile,
    envFile: opts.envFile,
    cacheDir: opts.cacheDir,
    debug: opts.debug,
    progress: opts.progress as ProgressMode,
    connect: connectOptions(opts),
    signal,
    log: (line) => console.error(line),
  };
}

/** Registers `build` and `test`. */
export function register(program: Command): void {
  addCommonFlags(
    program
      .command("build")
      .description("Build APK packages from a melange file, every step on BuildKit")
      .argument("[file]", "the melange file", ".melange.yaml"),
  )
    .option("--out-dir <dir>", "where packages go, as <out>/<arch>/*.apk", "./packages")
    .option("--signing-key <key>", "RSA private key that signs the packages and the index")
    .option(
      "--namespace <name>",
      "namespace of the packages (purl namespace in the SBOM, maintainer in .PKGINFO, as melange) and of the build's cache keys",
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
    .action(action(async (file: string, opts: Record<string, any>) => {
      const interrupt = interruptSignal();
      try {
        const result = await build({
          ...runOptions(file, opts, interrupt.signal),
          signingKey: opts.signingKey,
          namespace: opts.namespace,
          dumpLlb: opts.dumpLlb,
          dumpLlbRecipe: opts.dumpLlbRecipe,
          exportOnFailure: opts.exportOnFailure,
          exportRef: opts.exportRef,
        });
        const report = packagesReport(result.packages, opts.signingKey !== undefined);
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
    .action(action(async (file: string, pkg: string | undefined, opts: Record<string, any>) => {
      const interrupt = interruptSignal();
      try {
        await runTests({ ...runOptions(file, opts, interrupt.signal), only: pkg });
      } finally {
        interrupt.dispose();
      }
    }));
}
