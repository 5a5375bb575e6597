/** `melange2 build` and `melange2 test`, with melange's flag names. */
import type { Command } from "commander";
import { defaultRequired, defaultWarn } from "../lib/lint/linters.ts";
import { addCacheFlags } from "./buildkit_flags.ts";
import { invalidArgument } from "./commander.ts";
import { action } from "./run.ts";
import { addCommonFlags, bool, list } from "./run_flags.ts";

/** Registers `build` and `test`. */
export function register(program: Command): void {
  addCacheFlags(addCommonFlags(
    program
      .command("build")
      .description(
        "Build APK packages from a melange file, or many files in dependency order, every " +
          "step on BuildKit",
      )
      .argument(
        "[files...]",
        "the melange file (default: .melange.yaml, .melange.yml, melange.yaml or melange.yml); " +
          "several files or a directory of them (with its pipelines/) build in dependency order",
      ),
    true,
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
    .option(
      "--git-commit <hash>",
      "commit of the build file's repository, recorded in packages whose file sets none and " +
        "in the SBOMs (default: its HEAD)",
    )
    .option(
      "--git-repo-url <url>",
      "URL of the build file's repository, in the SBOMs (default: https://unknown/unknown/unknown)",
    )
    .option(
      "--license <license>",
      "SPDX license of the build file itself, in the SBOMs",
      "NOASSERTION",
    )
    .option("--build-option <name>", "apply the file's options.NAME (repeatable)", list)
    .option(
      "--dependency-log <file>",
      "write the dependencies the analysis found as JSON to FILE.<arch>",
    )
    .option(
      "--generate-provenance",
      "write a SLSA provenance statement beside each package (<name>-<version>.attest.tar.gz)",
    )
    .option(
      "--timeout <duration>",
      "cancel a build that runs longer (90s, 1h30m; the file's package.timeout wins)",
    )
    .option("--trace <file>", "write the build's spans to FILE (OpenTelemetry stdouttrace JSON)")
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
      program.createOption(
        "--export-on-failure <kind>",
        "on a failed step, export the environment before it",
      )
        .choices(["none", "tarball", "oci"]).default("none"),
    )
    .option("--export-ref <path>", "where --export-on-failure writes the image")
    .option(
      "--backends <file>",
      "the pool of BuildKit daemons for many files (Go melange2's format: addr, arch, maxJobs, " +
        "labels; defaultMaxJobs, failureThreshold, recoveryTimeout; TLS per backend)",
    )
    .option(
      "--max-jobs <n>",
      "builds at once per --buildkit-addr daemon (many files; default 4)",
      positive,
    )
    .option(
      "--keep-going",
      "many files: after a failure, build everything that does not need it",
    )
    .option(
      "--bootstrap-repository <repo>",
      "many files: a repository that breaks dependency cycles and joins every build's " +
        "repositories (repeatable)",
      list,
    )
    .action(action(async (args: string[], local: Record<string, any>, cmd: Command) => {
      const { buildCommand } = await import("./build_run.ts");
      // --log-level is the program's, as melange's persistent flag: given before or after `build`.
      await buildCommand(args, { ...local, logLevel: cmd.optsWithGlobals().logLevel });
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
    .option(
      "--workspace-dir <dir>",
      "also write the workspace (/home/build) as the tests left it to DIR/<arch>",
    )
    .option("--test-option <name>", "apply the file's options.NAME (repeatable)", list)
    .option(
      "--test-package-append <pkg>",
      "extra package for each test environment (repeatable)",
      list,
    )
    .action(action(
      async (arg: string, pkg: string | undefined, local: Record<string, any>, cmd: Command) => {
        const { testCommand } = await import("./build_run.ts");
        await testCommand(arg, pkg, { ...local, logLevel: cmd.optsWithGlobals().logLevel });
      },
    ));
}

/** A positive whole number flag. */
function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw invalidArgument(`expected a whole number >= 1`);
  return n;
}
