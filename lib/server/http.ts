/**
 * The build server's HTTP JSON API, and its repository served read-only:
 *
 *   POST   /api/v1/jobs                 submit (JobSpec)            -> 201 Job
 *   GET    /api/v1/jobs[?status=S]      list                        -> Job[]
 *   GET    /api/v1/jobs/ID              status (a queued one says why it waits) -> Job
 *   GET    /api/v1/jobs/ID/logs[?follow=1]  the log, text (follow: until the job ends)
 *   GET    /api/v1/jobs/ID/runs         every time a server took it -> JobRun[]
 *   GET    /api/v1/backends             list, with this server's circuit state -> Backend[]
 *   POST   /api/v1/backends             add or replace (an entry of a backends file) -> 201 Backend
 *   DELETE /api/v1/backends?addr=ADDR   remove                      -> 204
 *   GET    /repo/ARCH/FILE              packages and APKINDEX.tar.gz (apk and apko read it)
 *
 * Every write needs `Authorization: Bearer TOKEN`; reads are open. Bad
 * input is one 400 with `{ error }`, naming the field.
 */
import { timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { join, normalize } from "node:path";
import { UserError } from "../errors.ts";
import { normalizeArch } from "../config/arch.ts";
import { parseBackend } from "../distro/backends.ts";
import { checkRelative } from "./runner.ts";
import type { Routing } from "./routing.ts";
import type { Backend, BackendView, Job, JobSpec, JobStatus, LogLine, Store } from "./types.ts";

/** Options of {@link apiHandler}. */
export interface ApiOptions {
  store: Store;
  token: string;
  repoDir: string;
  /** How often a followed log looks for new lines (default 250 ms). */
  followMs?: number;
  /** The worker's pool: why queued jobs wait, and the backends' circuits. */
  routing?: Routing;
}

const STATUSES = ["queued", "running", "succeeded", "failed"];

/** The request handler for Deno.serve. */
export function apiHandler(opts: ApiOptions): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    try {
      if (url.pathname.startsWith("/repo/")) return await serveRepo(req, url, opts.repoDir);
      if (req.method !== "GET" && req.method !== "HEAD" && !authorized(req, opts.token)) {
        return json({ error: "unauthorized: give Authorization: Bearer TOKEN" }, 401);
      }
      return await route(req, url, opts);
    } catch (err) {
      if (err instanceof UserError || err instanceof SyntaxError) {
        return json({ error: err.message }, 400);
      }
      return json({ error: (err as Error).message }, 500);
    }
  };
}

async function route(req: Request, url: URL, opts: ApiOptions): Promise<Response> {
  const { store } = opts;
  const parts = url.pathname.replace(/\/+$/, "").split("/").slice(1);
  if (parts[0] !== "api" || parts[1] !== "v1") return json({ error: "not found" }, 404);
  const [, , what, id, sub] = parts;
  if (what === "jobs" && !id) {
    if (req.method === "POST") {
      const job = await store.createJob(checkSpec(await req.json()));
      // The backend list may have changed since the worker last looked.
      opts.routing?.update(await store.listBackends());
      return json(explained(job, opts), 201);
    }
    const status = url.searchParams.get("status") ?? undefined;
    if (status && !STATUSES.includes(status)) throw new UserError(`unknown status ${status}`);
    const jobs = await store.listJobs(status as JobStatus | undefined);
    return json(jobs.map((j) => explained(j, opts)));
  }
  if (what === "jobs" && req.method === "GET") {
    const job = await store.getJob(id);
    if (!job) return json({ error: `no job ${id}` }, 404);
    if (!sub) return json(explained(job, opts));
    if (sub === "runs") return json(await store.runs(id));
    if (sub === "logs") return logResponse(store, id, url.searchParams.has("follow"), opts);
  }
  if (what === "backends" && !id) {
    if (req.method === "GET") return json(withCircuits(await store.listBackends(), opts));
    if (req.method === "POST") {
      const b = checkBackend(
        await req.json().catch(() => {
          throw new UserError("a backend is a JSON object: {addr, arch, labels, maxJobs}");
        }),
      );
      await store.putBackend(b);
      return json(b, 201);
    }
    if (req.method === "DELETE") {
      const addr = url.searchParams.get("addr") ?? "";
      if (!(await store.removeBackend(addr))) return json({ error: `no backend ${addr}` }, 404);
      return new Response(null, { status: 204 });
    }
  }
  return json({ error: `no route ${req.method} ${url.pathname}` }, 404);
}

/** A queued job with why it waits, when it waits for more than a free slot. */
function explained(job: Job, opts: ApiOptions): Job {
  if (job.status !== "queued" || !opts.routing) return job;
  const waiting = opts.routing.whyWaiting(job.spec.arch ?? [], job.spec.labels ?? {});
  return waiting ? { ...job, waiting } : job;
}

/** The backends with this server's view of them: circuit, failures in a row, jobs here, platforms. */
function withCircuits(backends: Backend[], opts: ApiOptions): BackendView[] {
  if (!opts.routing) return backends;
  const pool = opts.routing.pool;
  const status = new Map(pool.status().map((s) => [s.backend.addr, s]));
  return backends.map((b) => {
    const s = status.get(b.addr);
    const p = pool.platforms(b.addr);
    return {
      ...b,
      ...(s ? { circuit: s.circuit, failures: s.failures, running: s.running } : {}),
      ...(p ? { platforms: p } : {}),
    };
  });
}

/** The job's log as text; following, new lines as they come until the job ends. */
function logResponse(store: Store, id: string, follow: boolean, opts: ApiOptions): Response {
  let after = 0;
  const enc = new TextEncoder();
  const send = (ctrl: ReadableStreamDefaultController<Uint8Array>, lines: LogLine[]) => {
    after = lines.at(-1)!.seq;
    ctrl.enqueue(enc.encode(lines.map((l) => l.line + "\n").join("")));
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      for (;;) {
        const lines = await store.readLog(id, after);
        if (lines.length) return send(ctrl, lines);
        const job = await store.getJob(id);
        if (!follow || job?.status === "succeeded" || job?.status === "failed") {
          // One last read: lines written just before the end are not lost.
          const rest = await store.readLog(id, after);
          if (rest.length) send(ctrl, rest);
          return ctrl.close();
        }
        await new Promise((r) => setTimeout(r, opts.followMs ?? 250));
      }
    },
  });
  return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } });
}

/** Files under the repository directory, read-only. */
async function serveRepo(req: Request, url: URL, repoDir: string): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("the repository is read-only\n", { status: 405 });
  }
  const rel = normalize(decodeURIComponent(url.pathname.slice("/repo/".length)));
  if (
    rel.startsWith("..") || rel.startsWith("/") || rel.split("/").some((p) => p.startsWith("."))
  ) {
    return new Response("not found\n", { status: 404 });
  }
  try {
    const path = join(repoDir, rel);
    const st = await Deno.stat(path);
    if (!st.isFile) return new Response("not found\n", { status: 404 });
    const file = await Deno.open(path);
    return new Response(req.method === "HEAD" ? (file.close(), null) : file.readable, {
      headers: { "content-length": String(st.size), "content-type": "application/octet-stream" },
    });
  } catch {
    return new Response("not found\n", { status: 404 });
  }
}

function authorized(req: Request, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "");
  if (!m) return false;
  const a = Buffer.from(m[1]), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A submitted spec, checked: build files with names and text, paths that stay inside. */
export function checkSpec(v: any): JobSpec {
  if (!v || !Array.isArray(v.files) || !v.files.length) {
    throw new UserError("a job needs files: [{name, content}, ...]");
  }
  for (const f of v.files) {
    if (typeof f?.name !== "string" || typeof f?.content !== "string") {
      throw new UserError("each file needs a name and a content (strings)");
    }
    checkRelative(f.name, "build file");
  }
  for (const [key, what] of [["pipelines", "pipeline"], ["sources", "source"]] as const) {
    if (v[key] === undefined) continue;
    if (typeof v[key] !== "object" || Array.isArray(v[key])) {
      throw new UserError(`${key} must be an object of path: content`);
    }
    for (const [p, c] of Object.entries(v[key])) {
      checkRelative(p, what);
      if (typeof c !== "string") throw new UserError(`${what} ${p}: content must be a string`);
    }
  }
  return {
    files: v.files,
    pipelines: v.pipelines,
    sources: v.sources,
    arch: checkArchs(v.arch),
    labels: checkLabels(v.labels),
  };
}

/** A job's architectures, as melange names them (`arm64` is `aarch64`). */
function checkArchs(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((a) => typeof a === "string" && a)) {
    throw new UserError("arch must be a list of architecture names");
  }
  return [...new Set(v.map((a) => normalizeArch(a)))];
}

/** A job's label selector: a mapping of strings. */
function checkLabels(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new UserError("labels must be a mapping of label to value (strings)");
  }
  for (const [k, val] of Object.entries(v)) {
    if (!k || typeof val !== "string") {
      throw new UserError(`labels: ${JSON.stringify(k)} must map to a string`);
    }
  }
  return Object.keys(v).length ? v as Record<string, string> : undefined;
}

/**
 * A posted backend: an entry of a backends file (addr, arch, labels, maxJobs,
 * tlscacert, tlscert, tlskey, tlsservername), checked as the file's are;
 * arch defaults to `*` (the daemon builds what it runs), maxJobs 0 to the
 * pool's default, TLS files are paths on the server.
 */
export function checkBackend(v: any): Backend {
  const entry = v && typeof v === "object" && !Array.isArray(v) && v.arch === undefined
    ? { ...v, arch: "*" }
    : v;
  return parseBackend(entry, "backend");
}

function json(v: unknown, status = 200): Response {
  return new Response(JSON.stringify(v) + "\n", {
    status,
    headers: { "content-type": "application/json" },
  });
}
