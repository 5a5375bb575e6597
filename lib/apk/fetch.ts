/**
 * Downloads with retry and an on-disk cache: indexes are revalidated with
 * ETag / Last-Modified, packages are kept by checksum and verified by the
 * caller on every use. Local paths are read in place.
 */
import { UserError } from "../errors.ts";
import { readRegularFile } from "../readfile.ts";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** True when `location` is an http(s) URL rather than a local path. */
export function isUrl(location: string): boolean {
  return /^https?:\/\//.test(location);
}

/** Options of {@link download}. */
export interface DownloadOptions {
  attempts?: number;
  signal?: AbortSignal;
}

/** A finished download. */
export interface Downloaded {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
}

/** A download failure that retrying does not fix (404 and the like). */
class Permanent extends Error {}

/** Credentials for one host, from melange's `HTTP_AUTH=basic:REALM:USERNAME:PASSWORD`. */
export interface HttpAuth {
  /** The host the credentials are sent to (any port). */
  realm: string;
  user: string;
  password: string;
}

/**
 * `HTTP_AUTH` parsed as melange parses it; undefined when unset, a UserError
 * when malformed (in melange's words).
 */
export function httpAuthFromEnv(value = Deno.env.get("HTTP_AUTH")): HttpAuth | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(":");
  // Go's SplitN(auth, ":", 4): the password keeps any further colons.
  if (parts.length > 4) parts.splice(3, parts.length, parts.slice(3).join(":"));
  if (parts.length !== 4) {
    throw new UserError(
      `HTTP_AUTH must be in the form 'basic:REALM:USERNAME:PASSWORD' (got ${parts.length} parts)`,
    );
  }
  if (parts[0] !== "basic") {
    throw new UserError(
      `HTTP_AUTH must be in the form 'basic:REALM:USERNAME:PASSWORD' (got "${
        parts[0]
      }" for first part)`,
    );
  }
  return { realm: parts[1], user: parts[2], password: parts[3] };
}

/** The Authorization header `HTTP_AUTH` gives `url`, if any. */
function authHeaders(url: string): Record<string, string> {
  const auth = httpAuthFromEnv();
  const { host, hostname } = new URL(url);
  // apko matches the request's host; REALM cannot hold a port (":" separates the parts),
  // so the host name alone matches too.
  if (!auth || (host !== auth.realm && hostname !== auth.realm)) return {};
  const token = btoa(
    String.fromCharCode(...new TextEncoder().encode(`${auth.user}:${auth.password}`)),
  );
  return { authorization: `Basic ${token}` };
}

/** GETs `url` with retries for network errors and 5xx answers; `HTTP_AUTH` applies. */
export async function download(
  url: string,
  headers: Record<string, string> = {},
  opts: DownloadOptions = {},
): Promise<Downloaded> {
  return await request(url, headers, opts, async (res) => {
    if (res.status === 304) return { status: 304, headers: res.headers, bytes: new Uint8Array() };
    const bytes = new Uint8Array(await res.arrayBuffer());
    checkLength(url, res, bytes.length);
    return { status: res.status, headers: res.headers, bytes };
  });
}

/**
 * GETs `url` into `file` (made or truncated) as it arrives, never holding
 * the body whole: packages can be larger than the memory a build may take.
 * Retries as {@link download} does, starting the file again each time.
 */
export async function downloadToFile(
  url: string,
  file: string,
  opts: DownloadOptions = {},
): Promise<void> {
  await request(url, {}, opts, async (res) => {
    const out = await Deno.open(file, { write: true, create: true, truncate: true });
    let n = 0;
    try {
      for await (const chunk of res.body ?? []) {
        for (let at = 0; at < chunk.length;) at += await out.write(chunk.subarray(at));
        n += chunk.length;
      }
    } finally {
      out.close();
    }
    checkLength(url, res, n);
  });
}

/** A body shorter or longer than its Content-Length is a failed download. */
function checkLength(url: string, res: Response, got: number): void {
  const expected = res.headers.get("content-length");
  if (expected !== null && Number(expected) !== got) {
    throw new UserError(`fetching ${url}: truncated body (${got} of ${expected} bytes)`);
  }
}

/** Runs `consume` on a good answer to GET `url`, retrying network errors and 5xx. */
async function request<T>(
  url: string,
  headers: Record<string, string>,
  opts: DownloadOptions,
  consume: (res: Response) => Promise<T>,
): Promise<T> {
  const attempts = opts.attempts ?? 3;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    if (i) await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    try {
      const res = await fetch(url, {
        headers: { ...authHeaders(url), ...headers },
        signal: opts.signal,
      });
      if (!res.ok && res.status !== 304) {
        await res.body?.cancel();
        const err = new UserError(`fetching ${url}: ${res.status} ${res.statusText}`);
        if (res.status < 500 && res.status !== 429) throw new Permanent(err.message);
        throw err;
      }
      return await consume(res);
    } catch (err) {
      if (err instanceof Permanent || opts.signal?.aborted) {
        throw new UserError(err instanceof Error ? err.message : String(err));
      }
      last = err;
    }
  }
  const msg = last instanceof Error ? last.message : String(last);
  throw new UserError(msg.includes(url) ? msg : `fetching ${url}: ${msg}`);
}

interface CacheMeta {
  etag?: string;
  lastModified?: string;
}

/**
 * Fetches a file that can change (an index): from the cache when the server
 * says it is unchanged, else downloaded and cached. Local paths are read.
 */
export async function fetchRevalidated(
  location: string,
  cacheDir: string | undefined,
  opts: DownloadOptions = {},
): Promise<Uint8Array> {
  if (!isUrl(location)) return readLocal(location);
  const key = createHash("sha256").update(location).digest("hex");
  const file = cacheDir ? join(cacheDir, "indexes", key) : undefined;
  let meta: CacheMeta = {};
  const headers: Record<string, string> = {};
  if (file && existsSync(file) && existsSync(`${file}.json`)) {
    meta = JSON.parse(readFileSync(`${file}.json`, "utf8"));
    if (meta.etag) headers["if-none-match"] = meta.etag;
    if (meta.lastModified) headers["if-modified-since"] = meta.lastModified;
  }
  const res = await download(location, headers, opts);
  if (res.status === 304 && file) return readFileSync(file);
  const bytes = res.bytes;
  if (file) {
    atomicWrite(file, bytes);
    const next: CacheMeta = {
      etag: res.headers.get("etag") ?? undefined,
      lastModified: res.headers.get("last-modified") ?? undefined,
    };
    atomicWrite(`${file}.json`, new TextEncoder().encode(JSON.stringify(next)));
  }
  return bytes;
}

/**
 * Fetches an immutable file (a package) kept in the cache under `cacheKey`.
 * `verify` runs on cached and downloaded bytes alike; a cached copy that
 * fails it is downloaded again.
 */
export async function fetchCached(
  location: string,
  cacheDir: string | undefined,
  cacheKey: string,
  verify: (bytes: Uint8Array) => Promise<void>,
  opts: DownloadOptions = {},
): Promise<Uint8Array> {
  if (!isUrl(location)) {
    const bytes = readLocal(location);
    await verify(bytes);
    return bytes;
  }
  const file = cacheDir
    ? join(cacheDir, "packages", cacheKey.replace(/[^A-Za-z0-9._-]/g, "_"))
    : undefined;
  if (file && existsSync(file)) {
    const cached = readFileSync(file);
    try {
      await verify(cached);
      return cached;
    } catch {
      // corrupt or stale cache entry: fetch again
    }
  }
  const bytes = (await download(location, {}, opts)).bytes;
  await verify(bytes);
  if (file) atomicWrite(file, bytes);
  return bytes;
}

/**
 * {@link fetchCached} for files too large to hold: the package is streamed
 * into `<dir>/packages/<cacheKey>` (staged beside it, renamed once `verify`
 * accepts it) and its path returned; a kept copy `verify` accepts is used
 * as it is. Local paths are returned unread (the caller opens them).
 */
export async function fetchCachedFile(
  location: string,
  dir: string,
  cacheKey: string,
  verify: (path: string) => Promise<void>,
  opts: DownloadOptions = {},
): Promise<string> {
  if (!isUrl(location)) return location;
  const file = join(dir, "packages", cacheKey.replace(/[^A-Za-z0-9._-]/g, "_"));
  if (existsSync(file)) {
    try {
      await verify(file);
      return file;
    } catch {
      // corrupt or stale cache entry: fetch again
    }
  }
  mkdirSync(join(file, ".."), { recursive: true });
  const tmp = `${file}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await downloadToFile(location, tmp, opts);
    await verify(tmp);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
  return file;
}

/** Indexes and packages from a local repository: regular files only (a FIFO would hang). */
function readLocal(path: string): Uint8Array {
  return readRegularFile(path, "reading ", 2 ** 31 - 1);
}

function atomicWrite(file: string, bytes: Uint8Array): void {
  mkdirSync(join(file, ".."), { recursive: true });
  const tmp = `${file}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}
