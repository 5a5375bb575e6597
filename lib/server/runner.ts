/**
 * Running one job: its files, pipelines and sources written to a work
 * directory, then built on the job's backend into the server's repository:
 * one file with the single-file build (lib/build/build.ts), several in
 * dependency order with the many-file scheduler (lib/distro), so a job's
 * `B` needing its `A` gets the `A` just built whatever order they came in.
 * The server calls this through {@link JobRunner}.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, relative } from "node:path";
import { Buffer } from "node:buffer";
import { build } from "../build/build.ts";
import { POOL_DEFAULTS } from "../distro/backends.ts";
import { buildMany } from "../distro/run.ts";
import { packageSources } from "../distro/runner.ts";
import { parse as parseYaml } from "yaml";
import { UserError } from "../errors.ts";
import type { Backend, Job, JobResult } from "./types.ts";

/** What a runner needs besides the job and its backend. */
export interface RunContext {
  /** Scratch space for this attempt (removed afterwards). */
  workDir: string;
  /** The repository packages go to (`<repo>/<arch>/`), also resolved against. */
  repoDir: string;
  /** Key that signs packages and the index. */
  signingKey?: string;
  /** One line of the job's log. */
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** Runs a job on a backend; the one seam between the server and the build. */
export type JobRunner = (job: Job, backend: Backend, ctx: RunContext) => Promise<JobResult>;

/** Refuses paths that would leave the directory they are written under. */
export function checkRelative(path: string, what: string): string {
  const norm = normalize(path);
  if (!path || isAbsolute(path) || norm === ".." || norm.startsWith("../") || norm === ".") {
    throw new UserError(`${what} ${JSON.stringify(path)}: expected a relative path inside it`);
  }
  return norm;
}

/** Writes the job's files; returns the build files' paths, in order. */
export function writeJobFiles(job: Job, dir: string): string[] {
  const put = (rel: string, data: string | Uint8Array, what: string) => {
    const path = join(dir, checkRelative(rel, what));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
    return path;
  };
  for (const [rel, text] of Object.entries(job.spec.pipelines ?? {})) {
    put(join("pipelines", checkRelative(rel, "pipeline")), text, "pipeline");
  }
  for (const [rel, b64] of Object.entries(job.spec.sources ?? {})) {
    put(rel, Buffer.from(b64, "base64"), "source");
  }
  return job.spec.files.map((f) => put(f.name, f.content, "build file"));
}

/** The default runner: every build file in order with lib/build/build.ts. */
export const runJob: JobRunner = async (job, backend, ctx) => {
  rmSync(ctx.workDir, { recursive: true, force: true });
  mkdirSync(ctx.workDir, { recursive: true });
  const packages: string[] = [];
  try {
    const files = writeJobFiles(job, ctx.workDir);
    const pipelines = join(ctx.workDir, "pipelines");
    let pending = "";
    const progressWrite = (text: string) => {
      const lines = (pending + text).split("\n");
      pending = lines.pop() ?? "";
      lines.forEach((l) => ctx.log(l));
    };
    if (files.length > 1) {
      return await runMany(job, backend, ctx, files, pipelines, progressWrite);
    }
    for (const file of files) {
      ctx.log(`building ${relative(ctx.workDir, file)} on ${backend.addr}`);
      const publicKey = ctx.signingKey ? `${ctx.signingKey}.pub` : undefined;
      const result = await build({
        ...packageSources(file, packageName(file)),
        configFile: file,
        outDir: ctx.repoDir,
        archs: jobArchs(job, backend),
        pipelineDirs: existsSync(pipelines) ? [pipelines] : [],
        // Later files resolve against what earlier ones (and earlier jobs) built.
        repositoryAppend: hasIndex(ctx.repoDir) ? [ctx.repoDir] : [],
        keyringAppend: publicKey && existsSync(publicKey) ? [publicKey] : [],
        signingKey: ctx.signingKey,
        connect: { ...backend.tls, addr: backend.addr },
        progress: "plain",
        progressWrite,
        log: ctx.log,
        warn: ctx.log,
        signal: ctx.signal,
      });
      if (pending) progressWrite("\n");
      for (const paths of Object.values(result.packages)) {
        packages.push(...paths.map((p) => relative(ctx.repoDir, p)));
      }
    }
    return { status: "succeeded", packages };
  } catch (err) {
    return { status: "failed", error: (err as Error).message, packages };
  } finally {
    rmSync(ctx.workDir, { recursive: true, force: true });
  }
};

/** The job's architectures, else its backend's (none for a `*` backend: the build's default). */
function jobArchs(job: Job, backend: Backend): string[] | undefined {
  if (job.spec.arch?.length) return job.spec.arch;
  return backend.arch === "*" ? undefined : [backend.arch];
}

/** Whether the repository has an index for any architecture yet. */
function hasIndex(repo: string): boolean {
  try {
    for (const e of Deno.readDirSync(repo)) {
      if (e.isDirectory && existsSync(join(repo, e.name, "APKINDEX.tar.gz"))) return true;
    }
  } catch { /* no repository yet */ }
  return false;
}

/** Several files in dependency order on the job's backend (lib/distro). */
async function runMany(
  job: Job,
  backend: Backend,
  ctx: RunContext,
  files: string[],
  pipelines: string,
  progressWrite: (text: string) => void,
): Promise<JobResult> {
  ctx.log(`building ${files.length} files in dependency order on ${backend.addr}`);
  const before = new Set(apkFiles(ctx.repoDir));
  const publicKey = ctx.signingKey ? `${ctx.signingKey}.pub` : undefined;
  const result = await buildMany({
    paths: files,
    archs: jobArchs(job, backend),
    // The job's own backend, as configured (arch, labels, TLS): the server chose it for the job.
    pool: { ...POOL_DEFAULTS, backends: [{ ...backend }] },
    // A daemon failure goes back to the server, which retries the job on another backend.
    maxAttempts: 1,
    base: {
      outDir: ctx.repoDir,
      pipelineDirs: existsSync(pipelines) ? [pipelines] : [],
      keyringAppend: publicKey && existsSync(publicKey) ? [publicKey] : [],
      signingKey: ctx.signingKey,
    },
    keepGoing: true,
    signal: ctx.signal,
    display: { mode: "plain", write: progressWrite },
  });
  progressWrite(result.table + "\n");
  // New files of this job's packages only: other jobs build into the same repository meanwhile.
  const ours = new Set<string>();
  for (const plan of result.plans) {
    for (const p of plan.packages) {
      for (const out of p.outputs) ours.add(`${plan.arch}/${out}-${p.version}.apk`);
    }
  }
  const packages = apkFiles(ctx.repoDir).filter((f) => !before.has(f) && ours.has(f));
  const bad = result.results.filter((r) => r.status === "failed" || r.status === "skipped");
  if (!bad.length) return { status: "succeeded", packages };
  const error = bad.map((r) => `${r.name} ${r.status}${r.reason ? `: ${r.reason}` : ""}`)
    .join("; ");
  return { status: "failed", error, packages };
}

/** The repository's packages, as `<arch>/<file>.apk`. */
function apkFiles(repo: string): string[] {
  const out: string[] = [];
  try {
    for (const arch of Deno.readDirSync(repo)) {
      if (!arch.isDirectory) continue;
      for (const f of Deno.readDirSync(join(repo, arch.name))) {
        if (f.isFile && f.name.endsWith(".apk")) out.push(`${arch.name}/${f.name}`);
      }
    }
  } catch { /* no repository yet */ }
  return out.sort();
}

/** The package a job's build file names (its sources are `<name>/` beside it). */
function packageName(file: string): string {
  const name = (parseYaml(readFileSync(file, "utf8")) as any)?.package?.name;
  return typeof name === "string" ? name : "";
}
