/**
 * Helpers for tests against the real buildkitd the set-up starts: its
 * address, a temporary directory, tree comparison, and a second daemon with
 * TLS (its own state and ports) for the TLS and entitlement cases.
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { findBuildkitd, socketAnswers } from "../../lib/build/daemon.ts";
import { busyboxRootfs } from "../../lib/build/busybox.ts";
import { type ExecState, local, type RunOptions, scratch } from "../../lib/llb/mod.ts";
import type { Client } from "../../lib/buildkit/client.ts";

/** The daemon address tests use. */
export const ADDR = Deno.env.get("BUILDKIT_HOST") ?? "unix:///run/buildkit/buildkitd.sock";

/** Whether the daemon answers (tests that need it are ignored otherwise, with a note). */
export const haveDaemon: boolean = !ADDR.startsWith("unix://") || await socketAnswers(ADDR);
if (!haveDaemon) console.log(`note: no buildkitd at ${ADDR}; run bash scripts/setup.sh`);

export { withTempDir } from "./tmp.ts";

/**
 * A step run on a busybox rootfs: makes the rootfs at `${dir}/rootfs`,
 * which the solve sends as the local source `rootfs`.
 */
export async function busyboxStep(dir: string, run: RunOptions): Promise<ExecState> {
  await busyboxRootfs(`${dir}/rootfs`);
  return scratch().copy(local("rootfs"), "/", "/", { copyDirContentsOnly: true }).run(run);
}

/**
 * Modification times under `root` in nanoseconds, by relative path, as GNU
 * find reads them: independent of the code under test (and of Deno's
 * node:fs, whose bigint stats round to the millisecond).
 */
export function mtimesNs(root: string): Map<string, bigint> {
  const out = new Deno.Command("find", { args: [root, "-mindepth", "1", "-printf", "%P\t%T@\n"] })
    .outputSync();
  if (!out.success) throw new Error(`find ${root} failed`);
  const times = new Map<string, bigint>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (!line) continue;
    const [path, time] = line.split("\t");
    const [sec, frac = ""] = time.split(".");
    times.set(path, BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, "0").slice(0, 9)));
  }
  return times;
}

/** A description of a tree: path -> type, mode, content hash or link target, mtime. */
export function describeTree(
  root: string,
  opts: { mtimes?: boolean } = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  const times = opts.mtimes ? mtimesNs(root) : undefined;
  const visit = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, path));
      const mode = (st.mode & 0o7777).toString(8);
      const mtime = times ? ` mtime=${times.get(path)}ns` : "";
      if (st.isSymbolicLink()) out[path] = `link ${readlinkSync(join(root, path))}${mtime}`;
      else if (st.isDirectory()) {
        out[path] = `dir ${mode}${mtime}`;
        visit(path);
      } else {
        const h = createHash("sha256").update(readFileSync(join(root, path))).digest("hex").slice(
          0,
          16,
        );
        out[path] = `file ${mode} ${st.size} ${h}${mtime}`;
      }
    }
  };
  visit("");
  return out;
}

/**
 * Waits (up to 10 s) until the daemon holds no local source in use. It lets
 * go of a solve's references after answering it, so a solve sent at once may
 * find the last copy of its local source still taken and start a new one.
 */
export async function localSourcesReleased(client: Client): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const records = await client.diskUsage();
    if (!records.some((r) => r.RecordType === "source.local" && r.InUse)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs a command, failing with its output when it fails. */
export async function sh(cmd: string, cwd?: string): Promise<string> {
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", cmd],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`${cmd} failed: ${text}${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** A second buildkitd with mutual TLS on a loopback port, for TLS tests. */
export interface TlsDaemon {
  addr: string;
  dir: string;
  stop(): Promise<void>;
}

/** Makes a CA, a server and a client certificate with openssl under `dir`. */
export async function makeCerts(dir: string, prefix = ""): Promise<void> {
  const p = (n: string) => join(dir, prefix + n);
  await sh(`
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=melange2-test-ca -keyout ${
    p("ca.key")
  } -out ${p("ca.pem")} 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ${p("san.ext")}
    openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout ${p("server.key")} -out ${
    p("server.csr")
  } 2>/dev/null
    openssl x509 -req -in ${p("server.csr")} -CA ${p("ca.pem")} -CAkey ${
    p("ca.key")
  } -CAcreateserial -days 2 -extfile ${p("san.ext")} -out ${p("server.pem")} 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout ${p("client.key")} -out ${
    p("client.csr")
  } 2>/dev/null
    openssl x509 -req -in ${p("client.csr")} -CA ${p("ca.pem")} -CAkey ${
    p("ca.key")
  } -CAcreateserial -days 2 -out ${p("client.pem")} 2>/dev/null
  `);
}

/** Starts a TLS daemon without the insecure entitlement; stop() ends it. */
export async function startTlsDaemon(port: number): Promise<TlsDaemon> {
  const bin = findBuildkitd();
  if (!bin) throw new Error("buildkitd is not installed");
  const dir = await Deno.makeTempDir({ prefix: "melange2-tls-" });
  await makeCerts(dir);
  const addr = `tcp://127.0.0.1:${port}`;
  const child = new Deno.Command(bin, {
    args: [
      "--addr",
      addr,
      "--addr",
      `unix://${dir}/buildkitd.sock`,
      "--root",
      `${dir}/state`,
      "--tlscacert",
      `${dir}/ca.pem`,
      "--tlscert",
      `${dir}/server.pem`,
      "--tlskey",
      `${dir}/server.key`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100 && !(await socketAnswers(`unix://${dir}/buildkitd.sock`)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 300));
  return {
    addr,
    dir,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await new Deno.Command("umount", { args: ["-R", `${dir}/state`], stderr: "null" }).output();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
