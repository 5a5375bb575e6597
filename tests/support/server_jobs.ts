/**
 * Jobs for the build server tests: a package with a source and a custom
 * pipeline (whose step may sleep), the server's usual flags, and waiting
 * for a job's state.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { ADDR, haveDaemon } from "./buildkit.ts";
import type { RemoteClient } from "../../lib/server/client.ts";
import type { Job, JobSpec } from "../../lib/server/types.ts";
import { specFromFiles } from "../../cli/remote_run.ts";

const { localRepo, makeKey } = haveDaemon
  ? await import("./build.ts")
  : ({} as typeof import("./build.ts"));

/** The token the test servers take writes with. */
export const TOKEN = "s3cret-token";
/** This machine's architecture, as melange names it. */
export const ARCH: string = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
/** An architecture this machine runs only under emulation, if at all. */
export const FOREIGN: string = ARCH === "x86_64" ? "aarch64" : "x86_64";
/** The tests' daemon over TCP (the set-up has it listen there too): a second backend. */
export const TCP: string = Deno.env.get("MELANGE2_TEST_TCP_ADDR") ?? "tcp://127.0.0.1:11234";

/** A package whose step prints a line, reads its source and a pipeline, and may sleep first. */
export function buildFile(name: string, sleep = 0): string {
  return `
package:
  name: ${name}
  version: 1.0.0
  epoch: 0
  description: built by the build server
  copyright:
    - license: MIT
environment:
  contents:
    repositories: [${localRepo.repository}]
    keyring: [${localRepo.publicKey}]
    packages: [busybox]
pipeline:
  - name: wait a while
    runs: sleep ${sleep}
  - uses: custom/greet
    with:
      who: ${name}
  - name: take the source
    runs: |
      mkdir -p "\${{targets.destdir}}/usr/share/${name}"
      cp source.txt "\${{targets.destdir}}/usr/share/${name}/"
`;
}

/** The custom pipeline every test package uses. */
const PIPELINE = `
name: greet
inputs:
  who:
    required: true
pipeline:
  - runs: |
      echo "hello from \${{inputs.who}} on the server"
      mkdir -p "\${{targets.destdir}}/usr/share"
      echo "\${{inputs.who}}" > "\${{targets.destdir}}/usr/share/greeting"
`;

/** Writes a build file with its source directory and the custom pipeline under `dir`. */
export function writeProject(dir: string, name: string, sleep = 0): string {
  mkdirSync(`${dir}/${name}`, { recursive: true });
  writeFileSync(`${dir}/${name}/source.txt`, `source of ${name}\n`);
  mkdirSync(`${dir}/pipelines/custom`, { recursive: true });
  writeFileSync(`${dir}/pipelines/custom/greet.yaml`, PIPELINE);
  writeFileSync(`${dir}/${name}.yaml`, buildFile(name, sleep));
  return `${dir}/${name}.yaml`;
}

/**
 * The server's flags: a data directory, the token, a signing key, and (unless
 * `extra` names backends itself) the tests' daemon with two jobs at once.
 */
export async function serverArgs(dir: string, extra: string[] = []): Promise<string[]> {
  writeFileSync(`${dir}/token`, TOKEN);
  const key = `${dir}/server.rsa`;
  try {
    readFileSync(key);
  } catch {
    await makeKey(dir, "server.rsa");
  }
  const own = extra.includes("--backends") || extra.includes("--buildkit-addr");
  return [
    "--data-dir",
    `${dir}/data`,
    ...(own ? [] : ["--buildkit-addr", ADDR, "--max-jobs", "2"]),
    "--token-file",
    `${dir}/token`,
    "--signing-key",
    key,
    ...extra,
  ];
}

/** Waits until `pred` holds of the job (up to 5 minutes). */
export async function until(c: RemoteClient, id: string, pred: (j: Job) => boolean): Promise<Job> {
  for (let i = 0; i < 1500; i++) {
    const job = await c.job(id);
    if (pred(job)) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${id} never got there`);
}

/** Writes a backends file in Go melange2's format. */
export function backendsFile(
  path: string,
  backends: Record<string, unknown>[],
  extra = "",
): string {
  const lines = ["backends:"];
  for (const b of backends) {
    const [first, ...rest] = Object.entries(b).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
    lines.push(`  - ${first}`, ...rest.map((l) => `    ${l}`));
  }
  writeFileSync(path, lines.join("\n") + "\n" + extra);
  return path;
}

/** A one-file job of package `name` (its step sleeping `sleep` s) with `more` in its spec. */
export function job(dir: string, name: string, more: Partial<JobSpec> = {}, sleep = 0): JobSpec {
  const spec = specFromFiles([writeProject(dir, name, sleep)], {
    pipelineDir: [`${dir}/pipelines`],
  });
  return { ...spec, arch: [ARCH], ...more };
}
