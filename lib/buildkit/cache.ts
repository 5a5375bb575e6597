/**
 * Build cache import and export (`--cache-from`/`--cache-to`), as buildctl's
 * `--import-cache`/`--export-cache`: entries parsed the way buildctl parses
 * them (cmd/buildctl/build), and filled in the way BuildKit's client does
 * before a solve (client/solve.go): a local cache is an OCI layout on this
 * machine that the daemon reads and writes through the session's content
 * service, found by its `index.json` tag; a registry cache the daemon pushes
 * and pulls itself.
 */
import { parse as parseCsv } from "csv-parse/sync";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../errors.ts";
import { blobPath } from "./contentstore.ts";

/** One cache importer or exporter: its type (`local`, `registry`, ...) and attributes. */
export interface CacheEntry {
  type: string;
  attrs: Record<string, string>;
}

/**
 * Parses a `--cache-to` value as buildctl's `--export-cache`: CSV fields
 * `type=...,key=value`, keys lower-cased, `mode` defaulting to `min`; a value
 * without `type=` is the deprecated form, a registry reference.
 */
export function parseCacheTo(text: string, flag = "--cache-to"): CacheEntry {
  if (!text.includes("type=")) return { type: "registry", attrs: { mode: "min", ref: text } };
  const entry = parseCsvEntry(text, flag);
  entry.attrs.mode ??= "min";
  return entry;
}

/** Parses a `--cache-from` value as buildctl's `--import-cache`. */
export function parseCacheFrom(text: string, flag = "--cache-from"): CacheEntry {
  if (!text.includes("type=")) return { type: "registry", attrs: { ref: text } };
  return parseCsvEntry(text, flag);
}

function parseCsvEntry(text: string, flag: string): CacheEntry {
  let fields: string[];
  try {
    fields = (parseCsv(text, { relax_column_count: true }) as string[][])[0] ?? [];
  } catch (err) {
    throw new UserError(`${flag} ${text}: ${(err as Error).message}`);
  }
  const entry: CacheEntry = { type: "", attrs: {} };
  for (const field of fields) {
    const eq = field.indexOf("=");
    if (eq < 0) throw new UserError(`${flag} ${text}: invalid value ${field} (expected key=value)`);
    const key = field.slice(0, eq).toLowerCase();
    if (key === "type") entry.type = field.slice(eq + 1);
    else entry.attrs[key] = field.slice(eq + 1);
  }
  if (!entry.type) throw new UserError(`${flag} ${text}: type=<type> is required`);
  const mode = entry.attrs.mode;
  if (mode !== undefined && mode !== "min" && mode !== "max") {
    throw new UserError(`${flag} ${text}: mode must be min or max, not "${mode}"`);
  }
  return entry;
}

/** Caches made ready for a solve. */
export interface PreparedCaches {
  /** The SolveRequest's `Cache` field. */
  request: { Exports: CacheCall[]; Imports: CacheCall[] };
  /** Local cache directories by the daemon's store id (`local:DIR`). */
  stores: Record<string, string>;
  /** Ids of the stores the daemon writes (exports). */
  writable: Set<string>;
  /** Local export directories and the tag their `index.json` gets after the solve. */
  indexes: Map<string, string>;
}

/** A CacheOptionsEntry as the request carries it. */
export interface CacheCall {
  Type: string;
  Attrs: Record<string, string>;
}

/**
 * Fills in local caches as BuildKit's client does: an export's directory is
 * made; an import's digest is read from its `index.json` tag (`latest`
 * unless `tag=`), and an import whose directory, tag or blob is missing is
 * skipped with a warning (a first build has no cache yet).
 */
export function prepareCaches(
  exports: CacheEntry[] = [],
  imports: CacheEntry[] = [],
  warn: (line: string) => void = () => {},
): PreparedCaches {
  const out: PreparedCaches = {
    request: { Exports: [], Imports: [] },
    stores: {},
    writable: new Set(),
    indexes: new Map(),
  };
  for (const ex of exports) {
    const attrs = { ...ex.attrs };
    if (ex.type === "local") {
      if (!attrs.dest) throw new UserError("--cache-to type=local needs dest=DIR");
      attrs.dest = resolve(attrs.dest);
      try {
        mkdirSync(attrs.dest, { recursive: true, mode: 0o755 });
      } catch (err) {
        throw new UserError(`--cache-to dest=${ex.attrs.dest}: ${(err as Error).message}`);
      }
      out.stores[`local:${attrs.dest}`] = attrs.dest;
      out.writable.add(`local:${attrs.dest}`);
      out.indexes.set(attrs.dest, attrs.tag ?? "latest");
    }
    if (ex.type === "registry" && !attrs.ref) {
      throw new UserError("--cache-to type=registry needs ref=REFERENCE");
    }
    out.request.Exports.push({ Type: ex.type, Attrs: attrs });
  }
  for (const im of imports) {
    const attrs = { ...im.attrs };
    if (im.type === "local") {
      if (!attrs.src) throw new UserError("--cache-from type=local needs src=DIR");
      attrs.src = resolve(attrs.src);
      const skip = localImportDigest(attrs);
      if (skip) {
        warn(`local cache import at ${im.attrs.src} skipped: ${skip}`);
        continue;
      }
      out.stores[`local:${attrs.src}`] = attrs.src;
    }
    if (im.type === "registry" && !attrs.ref) {
      throw new UserError("--cache-from type=registry needs ref=REFERENCE");
    }
    out.request.Imports.push({ Type: im.type, Attrs: attrs });
  }
  return out;
}

/** Sets `attrs.digest` from the layout's tag; returns why the import is skipped, if it is. */
function localImportDigest(attrs: Record<string, string>): string | undefined {
  if (!attrs.digest) {
    const tag = attrs.tag ?? "latest";
    let index: OciIndex;
    try {
      index = JSON.parse(readFileSync(join(attrs.src, "index.json"), "utf8"));
    } catch (err) {
      return `no index.json: ${(err as Error).message}`;
    }
    const found = findTag(index, tag);
    if (!found) return `no digest found for tag ${tag}`;
    attrs.digest = found.digest;
  }
  const blob = blobPath(attrs.src, attrs.digest);
  if (!blob || !existsSync(blob)) return `digest ${attrs.digest} unavailable`;
  return undefined;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

interface OciIndex {
  schemaVersion?: number;
  mediaType?: string;
  manifests?: Descriptor[];
  [key: string]: unknown;
}

const IMAGE_NAME = "io.containerd.image.name";
const REF_NAME = "org.opencontainers.image.ref.name";

/** A tag's manifest as BuildKit's ociindex finds it: by image name first, then by ref name. */
function findTag(index: OciIndex, tag: string): Descriptor | undefined {
  const manifests = index.manifests ?? [];
  return manifests.find((m) => m.annotations?.[IMAGE_NAME] === tag) ??
    manifests.find((m) => m.annotations?.[REF_NAME] === tag);
}

/**
 * After the solve: points each local export's `index.json` tag at the cache
 * manifest the daemon reported (`cache.manifest`), replacing the tag's old
 * entry, and writes `oci-layout`, as BuildKit's client does.
 */
export async function updateCacheIndexes(
  prepared: PreparedCaches,
  exporterResponse: Record<string, string>,
): Promise<void> {
  const manifest = exporterResponse["cache.manifest"];
  if (!manifest || !prepared.indexes.size) return;
  const desc = JSON.parse(manifest) as Descriptor;
  for (const [dir, tag] of prepared.indexes) {
    const lock = await Deno.open(join(dir, "index.json.lock"), { write: true, create: true });
    try {
      await lock.lock(true);
      writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
      const path = join(dir, "index.json");
      const index: OciIndex = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
      index.schemaVersion ||= 2;
      index.mediaType ||= "application/vnd.oci.image.index.v1+json";
      const manifests = (index.manifests ?? []).filter((m) =>
        m.annotations?.[REF_NAME] !== tag || (m.annotations?.[IMAGE_NAME] ?? "") !== ""
      );
      manifests.push({ ...desc, annotations: { ...desc.annotations, [REF_NAME]: tag } });
      index.manifests = manifests;
      writeFileSync(path, JSON.stringify(index));
    } finally {
      lock.close();
      await Deno.remove(join(dir, "index.json.lock")).catch(() => {});
    }
  }
}
