/** `melange2 remote submit|status|list|logs|wait|backends`: a client of `melange2 serve`. */
import type { Command } from "commander";
import type { RemoteClient } from "../lib/server/client.ts";
import { UserError } from "../lib/errors.ts";
import { action } from "./run.ts";

const list = (v: string, all: string[] = []) => [...all, ...v.split(",").filter(Boolean)];

/** `--label k=v` (repeatable; `k=v,k2=v2` too) as a mapping. */
export function parseLabels(values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const kv of values) {
    const m = /^([^=]+)=(.*)$/.exec(kv);
    if (!m) throw new UserError(`--label ${kv}: expected KEY=VALUE`);
    out[m[1]] = m[2];
  }
  return out;
}

function printJob(job: any): void {
  console.log(JSON.stringify(job, null, 2));
}

/** The server's client, from the `remote` flags (its code loads when a command runs). */
async function client(cmd: Command): Promise<RemoteClient> {
  const { remoteClient } = await import("./remote_run.ts");
  return remoteClient(cmd);
}

/** Registers `remote`. */
export function register(program: Command): void {
  const remote = program
    .command("remote")
    .description("Talk to a build server (melange2 serve)")
    .option("--server <url>", "the server (default: $MELANGE2_SERVER or http://127.0.0.1:8080)")
    .option("--token <token>", "bearer token for writes (default: $MELANGE2_TOKEN)")
    .option("--token-file <file>", "read the token from a file");

  remote.command("submit")
    .description("Submit build files (built in the order given) as one job")
    .argument("<files...>", "melange build files")
    .option("--pipeline-dir <dir>", "pipelines sent with the job (repeatable)", list)
    .option("--source-dir <dir>", "sources of the one build file (default: <file's dir>/<package>)")
    .option(
      "--arch <arch>",
      "architectures (repeatable, comma-separated); a backend runs the job only if it runs each",
      list,
    )
    .option(
      "--label <key=value>",
      "run only on a backend with this label (repeatable, comma-separated)",
      list,
    )
    .option("--wait", "follow the log until the job ends; fail when it fails")
    .action(action(async (files: string[], opts: Record<string, any>, cmd: Command) => {
      const c = await client(cmd);
      const { specFromFiles } = await import("./remote_run.ts");
      const job = await c.submit(
        specFromFiles(files, { ...opts, labels: parseLabels(opts.label) }),
      );
      console.log(job.id);
      // Queued for good reason, but the user should know now rather than wait in silence.
      if (job.waiting) console.error(`note: job ${job.id} waits: ${job.waiting}`);
      if (!opts.wait) return;
      await c.logs(job.id, (t) => Deno.stderr.writeSync(new TextEncoder().encode(t)), true);
      const done = await c.wait(job.id);
      if (done.status !== "succeeded") throw new UserError(`job ${job.id} failed: ${done.error}`);
    }));

  remote.command("status").description("A job's status").argument("<id>")
    .action(
      action(async (id: string, _o: unknown, cmd: Command) =>
        printJob(await (await client(cmd)).job(id))
      ),
    );

  remote.command("list").description("Jobs").option("--status <status>", "only those")
    .action(action(async (opts: Record<string, any>, cmd: Command) => {
      for (const j of await (await client(cmd)).list(opts.status)) {
        const files = j.spec.files.map((f) => f.name).join(",");
        console.log(`${j.id}\t${j.status}\t${files}${j.waiting ? `\twaits: ${j.waiting}` : ""}`);
      }
    }));

  remote.command("logs").description("A job's log").argument("<id>")
    .option("-f, --follow", "until the job ends")
    .action(action(async (id: string, opts: Record<string, any>, cmd: Command) => {
      await (await client(cmd)).logs(
        id,
        (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)),
        opts.follow,
      );
    }));

  remote.command("wait").description("Wait for a job to end; fail when it failed").argument("<id>")
    .action(action(async (id: string, _o: unknown, cmd: Command) => {
      const job = await (await client(cmd)).wait(id);
      printJob(job);
      if (job.status !== "succeeded") throw new UserError(`job ${id} failed: ${job.error}`);
    }));

  const backends = remote.command("backends").description("List, add or remove backends")
    .action(action(async (_o: unknown, cmd: Command) => {
      for (const b of await (await client(cmd)).backends()) {
        const labels = Object.entries(b.labels).map(([k, v]) => `${k}=${v}`).join(",");
        const fields = [
          b.addr,
          `arch=${b.arch}`,
          `maxJobs=${b.maxJobs || "default"}`,
          ...(labels ? [`labels=${labels}`] : []),
          ...(b.circuit ? [`circuit=${b.circuit}`] : []),
          ...(b.platforms ? [`runs=${b.platforms.runs.join(",")}`] : []),
        ];
        console.log(fields.join("\t"));
      }
    }));
  backends.command("add").description("Add a backend, or replace the one at ADDR")
    .argument("<addr>", "unix:///PATH or tcp://HOST:PORT")
    .option("--arch <arch>", "the architecture it builds (melange's name), or * for any it runs")
    .option("--label <key=value>", "a label jobs can select it by (repeatable)", list)
    .option("--max-jobs <n>", "jobs at once (default: the server's pool default)")
    .option("--tlscacert <file>", "CA certificate of the daemon (a path on the server)")
    .option("--tlscert <file>", "client TLS certificate (a path on the server)")
    .option("--tlskey <file>", "client TLS key (a path on the server)")
    .option("--tlsservername <name>", "server name expected in the daemon's certificate")
    .action(action(async (addr: string, opts: Record<string, any>, cmd: Command) => {
      const maxJobs = opts.maxJobs === undefined ? undefined : Number(opts.maxJobs);
      if (maxJobs !== undefined && !(Number.isInteger(maxJobs) && maxJobs >= 1)) {
        throw new UserError(`--max-jobs ${opts.maxJobs}: expected a whole number >= 1`);
      }
      await (await client(cmd)).addBackend({
        addr,
        arch: opts.arch,
        labels: parseLabels(opts.label),
        maxJobs,
        tlscacert: opts.tlscacert,
        tlscert: opts.tlscert,
        tlskey: opts.tlskey,
        tlsservername: opts.tlsservername,
      });
    }));
  backends.command("remove").argument("<addr>")
    .action(action(async (addr: string, _o: unknown, cmd: Command) => {
      await (await client(cmd)).removeBackend(addr);
    }));
}
