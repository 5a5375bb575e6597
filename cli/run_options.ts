/** The options `build` and `test` share, made from their parsed flags when they run. */
import { statSync, writeFileSync } from "node:fs";
import { fsErrorText, UserError } from "../lib/errors.ts";
import { httpAuthFromEnv } from "../lib/apk/fetch.ts";
import { type Span, Tracer } from "../lib/build/trace.ts";
import type { RunOptions } from "../lib/build/plan.ts";
import type { CacheEntry } from "../lib/buildkit/cache.ts";
import { parseCacheFrom, parseCacheTo } from "../lib/buildkit/cache.ts";
import type { ProgressMode } from "../lib/buildkit/progress.ts";
import { connectOptions } from "./buildkit_flags.ts";

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

/** Whether `path` is a directory (false when it cannot be read). */
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

/** The cache entries from parsed --cache-to and --cache-from flags. */
export function cacheOptions(
  opts: Record<string, any>,
): { cacheTo: CacheEntry[]; cacheFrom: CacheEntry[] } {
  return {
    cacheTo: (opts.cacheTo ?? []).map((v: string) => parseCacheTo(v)),
    cacheFrom: (opts.cacheFrom ?? []).map((v: string) => parseCacheFrom(v)),
  };
}
