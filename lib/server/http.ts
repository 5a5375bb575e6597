/**
 * The build server's HTTP JSON API, and its repository served read-only:
 *
 *   POST   /api/v1/jobs                 submit (JobSpec)            -> 201 Job
 *   GET    /api/v1/jobs[?status=S]      list                        -> Job[]
 *   GET    /api/v1/jobs/ID              status                      -> Job
 *   GET    /api/v1/jobs/ID/logs[?follow=1]  the log, text (follow: until the job ends)
 *   GET    /api/v1/jobs/ID/runs         every time a server took it -> JobRun[]
 *   GET    /api/v1/backends             list                        -> Backend[]
 *   POST   /api/v1/backends             add or replace (Backend)    -> 201 Backend
 *   DELETE /api/v1/backends?addr=ADDR   remove                      -> 204
 *   GET    /repo/ARCH/FILE              packages and APKINDEX.tar.gz (apk and apko read it)
 *
 * Every write needs `Authorization: Bearer TOKEN`; reads are open.
 */
import { timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { join, normalize } from "node:path";
import { UserError } from "../errors.ts";
import { checkRelative } from "./runner.ts";
import type { Backend, JobSpec, JobStatus, LogLine, Store } from "./types.ts";

/** Options of {@link apiHandler}. */
export interface ApiOptions {
  store: Store;
  token: string;
  repoDir: string;
  /** How often a followed log looks for new lines (default 250 ms). */
  followMs?: number;
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
      return json(job, 201);
    }
    const status = url.searchParams.get("status") ?? undefined;
    if (status && !STATUSES.includes(status)) throw new UserError(`unknown status ${status}`);
    return json(await store.listJobs(status as JobStatus | undefined));
  }
  if (what === "jobs" && req.method === "GET") {
    const job = await store.getJob(id);
    if (!job) return json({ error: `no job ${id}` }, 404);
    if (!sub) return json(job);
    if (sub === "runs") return json(await store.runs(id));
    if (sub === "logs") return logResponse(store, id, url.searchParams.has("follow"), opts);
  }
  if (what === "backends" && !id) {
    if (req.method === "GET") return json(await store.listBackends());
    if (req.method === "POST") {
      const b = checkBackend(await req.json());
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
  if (
    v.arch !== undefined &&
    !(Array.isArray(v.arch) && v.arch.every((a: any) => typeof a === "string"))
  ) {
    throw new UserError("arch must be a list of architecture names");
  }
  return { files: v.files, pipelines: v.pipelines, sources: v.sources, arch: v.arch };
}

/** A submitted backend, checked, with defaults. */
export function checkBackend(v: any): Backend {
  if (typeof v?.addr !== "string" || !/^(unix|tcp):\/\//.test(v.addr)) {
    throw new UserError("a backend needs addr: unix://PATH or tcp://HOST:PORT");
  }
  const maxJobs = v.maxJobs ?? 1;
  if (!Number.isInteger(maxJobs) || maxJobs < 1) throw new UserError("maxJobs must be 1 or more");
  return {
    addr: v.addr,
    arch: Array.isArray(v.arch) ? v.arch : v.arch ? [String(v.arch)] : [],
    maxJobs,
    labels: v.labels ?? {},
  };
}

function json(v: unknown, status = 200): Response {
  return new Response(JSON.stringify(v) + "\n", {
    status,
    headers: { "content-type": "application/json" },
  });
}
