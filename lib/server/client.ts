/** A client of the build server's HTTP API (what `melange2 remote` uses). */
import { UserError } from "../errors.ts";
import type { BackendEntry, BackendView, Job, JobRun, JobSpec } from "./types.ts";

/** The server's address and token. */
export class RemoteClient {
  readonly server: string;
  readonly #token?: string;

  constructor(server: string, token?: string) {
    this.server = server.replace(/\/+$/, "");
    this.#token = token;
  }

  async #call(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.server}${path}`, {
        method,
        headers: {
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new UserError(
        `cannot reach the build server at ${this.server}: ${(err as Error).message}`,
      );
    }
    if (!res.ok) {
      const text = await res.text();
      let msg = text.trim();
      try {
        msg = JSON.parse(text).error ?? msg;
      } catch { /* not JSON */ }
      throw new UserError(`${method} ${path}: ${res.status} ${msg}`);
    }
    return res;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#call(method, path, body);
    return res.status === 204 ? (undefined as T) : await res.json() as T;
  }

  /** Submits a job. */
  submit(spec: JobSpec): Promise<Job> {
    return this.#json("POST", "/api/v1/jobs", spec);
  }

  /** A job's status. */
  job(id: string): Promise<Job> {
    return this.#json("GET", `/api/v1/jobs/${encodeURIComponent(id)}`);
  }

  /** Jobs, optionally of one status. */
  list(status?: string): Promise<Job[]> {
    return this.#json("GET", `/api/v1/jobs${status ? `?status=${status}` : ""}`);
  }

  /** Every time a server took the job. */
  runs(id: string): Promise<JobRun[]> {
    return this.#json("GET", `/api/v1/jobs/${encodeURIComponent(id)}/runs`);
  }

  /** Streams a job's log to `write`; following, until the job ends. */
  async logs(id: string, write: (text: string) => void, follow = false): Promise<void> {
    const res = await this.#call(
      "GET",
      `/api/v1/jobs/${encodeURIComponent(id)}/logs${follow ? "?follow=1" : ""}`,
    );
    const dec = new TextDecoder();
    for await (const chunk of res.body!) write(dec.decode(chunk, { stream: true }));
  }

  /** Waits until the job ends; returns it. */
  async wait(id: string, pollMs = 500): Promise<Job> {
    for (;;) {
      const job = await this.job(id);
      if (job.status === "succeeded" || job.status === "failed") return job;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Fetches a file of the server's repository (`x86_64/hello-1.0.0-r0.apk`). */
  async artifact(path: string): Promise<Uint8Array> {
    const res = await this.#call("GET", `/repo/${path}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  /** The server's backends, with its circuit state for each. */
  backends(): Promise<BackendView[]> {
    return this.#json("GET", "/api/v1/backends");
  }

  /** Adds or replaces a backend (an entry of a backends file). */
  addBackend(b: BackendEntry): Promise<BackendView> {
    return this.#json("POST", "/api/v1/backends", b);
  }

  /** Removes a backend. */
  removeBackend(addr: string): Promise<void> {
    return this.#json("DELETE", `/api/v1/backends?addr=${encodeURIComponent(addr)}`);
  }
}
