/** The flags `build` and `test` share, as melange names them, and the options they make. */
import { type Command, InvalidArgumentError, Option } from "commander";
import { statSync, writeFileSync } from "node:fs";
import { fsErrorText, UserError } from "../lib/errors.ts";
import { httpAuthFromEnv } from "../lib/apk/fetch.ts";
import { type Span, Tracer } from "../lib/build/trace.ts";
import type { RunOptions } from "../lib/build/plan.ts";
import type { ProgressMode } from "../lib/buildkit/progress.ts";
import { addConnectFlags, connectOptions } from "./buildkit_flags.ts";

/** Collects a repeatable flag; commas separate values too, as melange's string slices do. */
export const list = (v: string, all: string[] = []) => [...all, ...v.split(",").filter(Boolean)];

/** Flags `build` and `test` share (`build` takes --buildkit-addr more than once). */
export function addCommonFlags(cmd: Command, pool = false): Command {
  return addConnectFlags(cmd, pool)
    .option(
      "--arch <arch>",
      "architectures (repeatable, comma-separated; melange's names or amd64, arm64...; `all`; `host`; default: every one the daemon runs and the repositories have)",
      list,
    )
    .option(
      "--source-dir <dir>",
      "directory copied into the workspace (build's default: the build file's directory, " +
        "less its .melangeignore; test's: none)",
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
      "--runner <runner>",
      "accepted for melange's scripts (bubblewrap, docker, qemu): every step runs on BuildKit",
      runner,
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

/**
 * melange's --trace: the file is made before the build (an unwritable path
 * fails first, as in melange) and holds the spans once the build ends.
 */
export function startTrace(file: string): { span: Span; write: () => void } {
  const write = (text: string) => {
    try {
      writeFileSync(file, text);
    } catch (err) {
      throw new UserError(`--trace ${file}: ${fsErrorText(err)}`);
    }
  };
  write("");
  const tracer = new Tracer();
  return { span: tracer.root("build"), write: () => write(tracer.lines()) };
}

/** The variables melange's QEMU runner reads (pkg/container/qemu_runner.go). */
const QEMU_RUNNER_VARIABLES = [
  "QEMU_KERNEL_IMAGE",
  "QEMU_KERNEL_MODULES",
  "QEMU_KERNEL_CMDLINE",
  "QEMU_BASE_INITRAMFS",
  "QEMU_ADDITIONAL_PACKAGES",
  "QEMU_DISKS_PATH",
  "QEMU_NET_CIDR",
  "QEMU_DNS_SEARCH",
  "QEMU_VIRTIOFS_PATH",
  "QEMU_USE_VIRTIOFS",
];

/** melange's runner names; any is accepted (steps always run on BuildKit), others refused. */
function runner(v: string): string {
  if (["bubblewrap", "docker", "qemu"].includes(v)) return v;
  throw new InvalidArgumentError(
    `unknown runner: ${v} (melange's are bubblewrap, docker and qemu; melange2 runs every step ` +
      `on BuildKit whichever is named)`,
  );
}

/** A melange (pflag) boolean given a value: `--rm=false`, `--generate-index false`. */
export function bool(v: string): boolean {
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  throw new InvalidArgumentError(`expected true or false, not "${v}"`);
}

export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The options `build` and `test` share, from parsed flags. */
export function runOptions(
  file: string,
  opts: Record<string, any>,
  signal: AbortSignal,
): RunOptions {
  httpAuthFromEnv(); // a malformed HTTP_AUTH is refused before anything runs
  const quiet = opts.logLevel === "warn" || opts.logLevel === "error";
  if (opts.runner && !quiet) {
    console.error(`--runner ${opts.runner}: melange2 runs every step on BuildKit`);
  }
  const qemu = QEMU_RUNNER_VARIABLES.filter((v) => Deno.env.get(v) !== undefined);
  if (qemu.length && !quiet) {
    console.error(
      `${qemu.join(", ")}: settings of melange's QEMU runner, unused (melange2 runs every step ` +
        `on BuildKit)`,
    );
  }
  return {
    configFile: file,
    archs: opts.arch,
    sourceDir: opts.sourceDir,
    outDir: opts.outDir,
    repositoryAppend: opts.repositoryAppend,
    keyringAppend: opts.keyringAppend,
    pipelineDirs: [...opts.pipelineDir ?? [], ...opts.pipelineDirs ?? []],
    buildOptions: opts.buildOption ?? opts.testOption,
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
    debugLog: opts.logLevel === "debug" ? (line) => console.error(`debug: ${line}`) : undefined,
  };
}
