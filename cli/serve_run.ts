/** What `melange2 serve` runs, loaded when it runs (cli/serve.ts registers it). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join, resolve } from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { UserError } from "../lib/errors.ts";
import { envOrUndefined } from "./run.ts";

/** The server's token: --token-file, else $MELANGE2_TOKEN, else one made in the data directory. */
function serverToken(opts: Record<string, any>, dataDir: string, log: (l: string) => void): string {
  if (opts.tokenFile) {
    try {
      const t = readFileSync(opts.tokenFile, "utf8").trim();
      if (!t) throw new Error("empty");
      return t;
    } catch (err) {
      throw new UserError(`--token-file ${opts.tokenFile}: ${(err as Error).message}`);
    }
  }
  const env = envOrUndefined("MELANGE2_TOKEN");
  if (env) return env;
  const path = join(dataDir, "token");
  if (!existsSync(path)) {
    writeFileSync(path, randomBytes(24).toString("hex") + "\n", { mode: 0o600 });
    log(`made a token for writes in ${path}`);
  }
  return readFileSync(path, "utf8").trim();
}

/** `--listen HOST:PORT` as host and port. */
function parseListen(text: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m) throw new UserError(`--listen ${text}: expected HOST:PORT`);
  return [m[1] || "127.0.0.1", Number(m[2])];
}

/** The server's signing key, made on first start. */
async function ensureServerKey(dataDir: string, log: (l: string) => void): Promise<string> {
  const key = join(dataDir, "melange2-server.rsa");
  if (!existsSync(key)) {
    const { generateKey } = await import("../lib/apk/package.ts");
    await generateKey("melange2-server.rsa", dataDir);
    log(`made the signing key ${key}`);
  }
  return key;
}

/** `serve`: runs the build server until Ctrl-C or SIGTERM. */
export async function serve(opts: Record<string, any>): Promise<void> {
  const log = (line: string) => console.error(`[serve] ${line}`);
  const { startupPool } = await import("../lib/server/startup.ts");
  const pool = startupPool(opts);
  const dataDir = resolve(opts.dataDir);
  const repoDir = join(dataDir, "repo");
  mkdirSync(repoDir, { recursive: true });
  const [host, port] = parseListen(opts.listen);
  const token = serverToken(opts, dataDir, log);
  const signingKey = opts.signingKey
    ? resolve(opts.signingKey)
    : await ensureServerKey(dataDir, log);
  // The public key beside the index, so that apk and apko can trust the repository.
  if (existsSync(`${signingKey}.pub`)) {
    writeFileSync(
      join(repoDir, `${basename(signingKey)}.pub`),
      readFileSync(`${signingKey}.pub`),
    );
  }
  const { openStore } = await import("../lib/server/store.ts");
  const { startWorker } = await import("../lib/server/worker.ts");
  const { apiHandler } = await import("../lib/server/http.ts");
  const store = await openStore(opts.database, dataDir);
  const serverId = opts.serverId ?? `${hostname()}-${Deno.pid}-${randomUUID().slice(0, 6)}`;
  const leaseMs = Number(opts.lease) * 1000;
  if (!(leaseMs > 0)) throw new UserError(`--lease ${opts.lease}: expected seconds`);
  // An embedded database has one server: whatever it ran before it stopped runs again.
  if (!opts.database?.match(/^postgres(ql)?:/)) {
    const back = await store.requeue({ leaseMs: -1 });
    if (back.length) log(`re-queued ${back.join(", ")} (running when the server stopped)`);
  }
  for (const b of pool.backends) await store.putBackend(b);
  const worker = startWorker({
    store,
    serverId,
    dataDir,
    repoDir,
    signingKey,
    leaseMs,
    log,
    pool,
  });
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: host,
    port,
    signal: ac.signal,
    onListen: ({ hostname, port }) => log(`${serverId} listening on http://${hostname}:${port}`),
  }, apiHandler({ store, token, repoDir, routing: worker.routing }));
  const stopped = Promise.withResolvers<void>();
  const onSignal = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  await stopped.promise;
  log("stopping: running jobs go back to the queue");
  await worker.stop();
  ac.abort();
  await server.finished;
  await store.close();
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
}
