/** `melange2 serve`: the build server (HTTP JSON API, job queue, repository). */
import type { Command } from "commander";
import { addTlsFlags } from "./buildkit_flags.ts";
import { action } from "./run.ts";

const collect = (v: string, all: string[] = []) => [...all, v];

/** Registers `serve`. */
export function register(program: Command): void {
  const serve = program
    .command("serve")
    .description("Run the build server: an HTTP JSON API over a job queue, and an APK repository")
    .option("--listen <host:port>", "address to listen on", "127.0.0.1:8080")
    .option("--data-dir <dir>", "state, work space and repository", "./melange2-server")
    .option(
      "--database <url>",
      "postgres://USER:PASS@HOST/DB for several servers on one queue, or a SQLite file " +
        "(default: <data-dir>/melange2.db)",
    )
    .option(
      "--backends <file>",
      "backends added at start, in Go melange2's backends file format (addr, arch, maxJobs, " +
        "labels, TLS; defaultMaxJobs, failureThreshold, recoveryTimeout for the server's pool)",
    )
    .option(
      "--buildkit-addr <addr>",
      "a backend (arch `*`) added at start (repeatable; more with `melange2 remote backends add`)",
      collect,
    )
    .option(
      "--max-jobs <n>",
      "jobs at once on each --buildkit-addr backend (default: the pool's, 4)",
    )
    .option(
      "--signing-key <key>",
      "key that signs the packages and the index; KEY.pub is served beside them (default: one made)",
    )
    .option("--token-file <file>", "bearer token for writes (default: $MELANGE2_TOKEN, else made)")
    .option("--server-id <name>", "this process's name in the database (default: host-pid-random)")
    .option("--lease <seconds>", "a silent server's running jobs go back to the queue after", "30");
  addTlsFlags(serve)
    .action(action(async (opts: Record<string, any>) => {
      const { serve } = await import("./serve_run.ts");
      await serve(opts);
    }));
}
