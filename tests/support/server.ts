/**
 * `melange2 serve` processes for the build server tests: started from
 * source on a free loopback port, their log kept, stopped (or killed) at will.
 */
import { repoPath } from "../shared.ts";

/** A running server process. */
export interface ServerProcess {
  url: string;
  /** Its log so far (standard error). */
  log(): string;
  /** SIGTERM (graceful) or SIGKILL (a crash); waits for it to exit. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
}

/** A TCP port nothing listens on now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts `melange2 serve ARGS` and waits until it answers. */
export async function startServer(args: string[], port = freePort()): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", repoPath("main.ts"), "serve", "--listen", `127.0.0.1:${port}`, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stderr) text += dec.decode(chunk, { stream: true });
  })();
  const url = `http://127.0.0.1:${port}`;
  const exited = child.status.then(() => true);
  for (let i = 0; i < 600; i++) {
    const up = await fetch(`${url}/api/v1/jobs`).then((r) => r.body?.cancel().then(() => r.ok))
      .catch(() => false);
    if (up) break;
    if (await Promise.race([exited, new Promise((r) => setTimeout(() => r(false), 100))])) {
      await reading;
      throw new Error(`melange2 serve exited:\n${text}`);
    }
  }
  return {
    url,
    log: () => text,
    async stop(signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* gone already */ }
      await child.status;
      await reading;
    },
  };
}
