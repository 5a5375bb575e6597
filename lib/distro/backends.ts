/**
 * The pool's configuration: `--buildkit-addr` given once or more, or a
 * `--backends FILE` in Go melange2's format (pkg/service/buildkit):
 *
 *     backends:
 *       - addr: tcp://buildkit-x86:1234
 *         arch: x86_64
 *         maxJobs: 4
 *         labels: { tier: standard }
 *     defaultMaxJobs: 4      # a backend's maxJobs when 0 or absent
 *     failureThreshold: 3    # consecutive daemon failures that open its circuit
 *     recoveryTimeout: 30s   # how long an open circuit stays open
 *
 * melange2 adds TLS per backend with buildctl's flag names (`tlscacert`,
 * `tlscert`, `tlskey`, `tlsservername`), read relative to the file, and
 * `arch: "*"`: a daemon that builds whatever it runs (platforms.ts says what).
 * The build server takes one entry of this format for a backend posted to it.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { UserError } from "../errors.ts";
import type { ConnectOptions } from "../buildkit/address.ts";
import { normalizeArch } from "../config/mod.ts";
import { readInputText } from "../config/readtext.ts";

/** One BuildKit daemon of the pool. */
export interface Backend {
  addr: string;
  /** melange's architecture name (`x86_64`, `aarch64`). */
  arch: string;
  labels: Record<string, string>;
  /** At most this many builds at once (0: the pool's default). */
  maxJobs: number;
  tls?: Omit<ConnectOptions, "addr">;
}

/** The pool as configured. */
export interface PoolConfig {
  backends: Backend[];
  defaultMaxJobs: number;
  failureThreshold: number;
  recoveryTimeoutMs: number;
}

/** Go melange2's defaults. */
export const POOL_DEFAULTS = { defaultMaxJobs: 4, failureThreshold: 3, recoveryTimeoutMs: 30_000 };

/**
 * A pool of the daemons named by `--buildkit-addr`, sharing one TLS set-up.
 * Their architecture is `*`: each build asks its daemon whether it runs the
 * package's (lib/build/archs.ts) and says so clearly when it does not.
 */
export function poolFromAddrs(
  addrs: string[],
  tls?: Omit<ConnectOptions, "addr">,
  maxJobs = 0,
): PoolConfig {
  const backends = addrs.map((addr) => ({ addr, arch: "*", labels: {}, maxJobs, tls }));
  return { ...POOL_DEFAULTS, backends: checkBackends(backends, "--buildkit-addr") };
}

/** Reads a backends file (see the module doc); errors name the file and the field. */
export function readBackendsFile(path: string): PoolConfig {
  const text = readInputText(path, "--backends ");
  let doc: any;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UserError(`${path}: not YAML: ${(err as Error).message}`);
  }
  return parseBackends(doc, path);
}

/** Validates a parsed backends document. */
export function parseBackends(doc: any, path: string): PoolConfig {
  if (!doc || typeof doc !== "object" || !Array.isArray(doc.backends)) {
    throw new UserError(`${path}: expected a mapping with a list of backends:`);
  }
  const known = new Set(["backends", "defaultMaxJobs", "failureThreshold", "recoveryTimeout"]);
  for (const k of Object.keys(doc)) {
    if (!known.has(k)) throw new UserError(`${path}: unknown field ${k}`);
  }
  const base = dirname(resolve(path));
  const backends = doc.backends.map((b: any, i: number) =>
    parseBackend(b, `${path}: backends[${i}]`, base)
  );
  return {
    backends: checkBackends(backends, path),
    defaultMaxJobs: count(doc.defaultMaxJobs, `${path}: defaultMaxJobs`) ||
      POOL_DEFAULTS.defaultMaxJobs,
    failureThreshold: count(doc.failureThreshold, `${path}: failureThreshold`) ||
      POOL_DEFAULTS.failureThreshold,
    recoveryTimeoutMs: doc.recoveryTimeout === undefined || doc.recoveryTimeout === 0
      ? POOL_DEFAULTS.recoveryTimeoutMs
      : parseDuration(doc.recoveryTimeout, `${path}: recoveryTimeout`),
  };
}

const BACKEND_FIELDS = new Set([
  "addr",
  "arch",
  "labels",
  "maxJobs",
  "tlscacert",
  "tlscert",
  "tlskey",
  "tlsservername",
]);

/**
 * One backend entry, checked: a backends file's (TLS files relative to
 * `base`, the file's directory) or one posted to the build server (no
 * `base`: TLS files must be absolute paths on the server).
 */
export function parseBackend(b: any, where: string, base?: string): Backend {
  if (!b || typeof b !== "object" || Array.isArray(b)) {
    throw new UserError(`${where}: expected a mapping`);
  }
  for (const k of Object.keys(b)) {
    if (!BACKEND_FIELDS.has(k)) throw new UserError(`${where}: unknown field ${k}`);
  }
  if (typeof b.addr !== "string" || !b.addr) throw new UserError(`${where}: addr is required`);
  if (!/^(unix:\/\/\/|tcp:\/\/[^/]+$)/.test(b.addr)) {
    throw new UserError(
      `${where}: addr ${JSON.stringify(b.addr)}: expected unix:///PATH or tcp://HOST:PORT`,
    );
  }
  if (typeof b.arch !== "string" || !b.arch) {
    throw new UserError(`${where} (${b.addr}): arch is required`);
  }
  const labels: Record<string, string> = {};
  if (b.labels !== undefined && b.labels !== null) {
    if (typeof b.labels !== "object" || Array.isArray(b.labels)) {
      throw new UserError(`${where}: labels must be a mapping of strings`);
    }
    for (const [k, v] of Object.entries(b.labels)) {
      if (!k || (v !== null && typeof v === "object") || v === null || v === undefined) {
        throw new UserError(`${where}: labels must be a mapping of strings (label ${k || '""'})`);
      }
      labels[k] = String(v);
    }
  }
  const file = (v: unknown, field: string) => {
    if (v === undefined) return undefined;
    if (typeof v !== "string" || !v) throw new UserError(`${where}: ${field} must be a file name`);
    if (base === undefined && !isAbsolute(v)) {
      throw new UserError(`${where}: ${field} ${v}: expected an absolute path on the server`);
    }
    return resolve(base ?? "/", v);
  };
  const tls = {
    tlsCaCert: file(b.tlscacert, "tlscacert"),
    tlsCert: file(b.tlscert, "tlscert"),
    tlsKey: file(b.tlskey, "tlskey"),
    tlsServerName: b.tlsservername === undefined ? undefined : String(b.tlsservername),
  };
  const hasTls = Object.values(tls).some((v) => v !== undefined);
  if (hasTls && !b.addr.startsWith("tcp://")) {
    throw new UserError(`${where}: TLS options need a tcp:// address, not ${b.addr}`);
  }
  let arch: string;
  try {
    arch = b.arch === "*" ? "*" : normalizeArch(b.arch);
  } catch (err) {
    throw new UserError(`${where} (${b.addr}): ${(err as Error).message}`);
  }
  return {
    addr: b.addr,
    arch,
    labels,
    maxJobs: count(b.maxJobs, `${where}: maxJobs`),
    ...(hasTls ? { tls } : {}),
  };
}

/** A pool's backends, checked as a whole: at least one, no address twice. */
export function checkBackends(backends: Backend[], where: string): Backend[] {
  if (!backends.length) throw new UserError(`${where}: at least one backend is required`);
  const seen = new Set<string>();
  for (const b of backends) {
    if (seen.has(b.addr)) throw new UserError(`${where}: backend ${b.addr} is listed twice`);
    seen.add(b.addr);
  }
  return backends;
}

function count(v: unknown, where: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new UserError(`${where}: expected a whole number >= 0, not ${JSON.stringify(v)}`);
  }
  return v;
}

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Go duration (`30s`, `1m30s`, `500ms`) in milliseconds; a bare number is
 * nanoseconds, as yaml.v3 decodes an integer into a time.Duration.
 */
export function parseDuration(v: unknown, where: string): number {
  if (typeof v === "number" && Number.isFinite(v) && v >= 0) return v / 1e6;
  if (typeof v === "string" && /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) {
    let ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
      ms += Number(m[1]) * UNITS[m[2]];
    }
    return ms;
  }
  throw new UserError(
    `${where}: expected a duration such as 30s or 1m30s, not ${JSON.stringify(v)}`,
  );
}
