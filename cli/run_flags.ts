/** The flags `build` and `test` share, as melange names them, and the options they make. */
import type { Command } from "commander";
import { addConnectFlags } from "./buildkit_flags.ts";
import { invalidArgument } from "./commander.ts";

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
      cmd.createOption("--progress <mode>", "progress output").choices([
        "auto",
        "tty",
        "plain",
        "rawjson",
        "quiet",
      ]).default("auto"),
    );
}

/** melange's runner names; any is accepted (steps always run on BuildKit), others refused. */
function runner(v: string): string {
  if (["bubblewrap", "docker", "qemu"].includes(v)) return v;
  throw invalidArgument(
    `unknown runner: ${v} (melange's are bubblewrap, docker and qemu; melange2 runs every step ` +
      `on BuildKit whichever is named)`,
  );
}

/** A melange (pflag) boolean given a value: `--rm=false`, `--generate-index false`. */
export function bool(v: string): boolean {
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  throw invalidArgument(`expected true or false, not "${v}"`);
}
