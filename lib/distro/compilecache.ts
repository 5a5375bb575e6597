/**
 * Compiled build files kept between runs, so that planning a tree of
 * thousands of files again reads each file and a small JSON record instead
 * of parsing YAML (the planner's main cost: lib/config/yaml.ts). A record is
 * found by a digest of everything compiling reads: the file's text, the
 * architecture, the vars and env files, and the compiler's own source; and
 * it is used only if every `uses:` pipeline it was compiled with still
 * loads to the same content. Records live in `~/.cache/melange2/compiled`,
 * beside the prepared environments, and are written atomically.
 *
 * Records of files since edited, or of an older compiler, are never read
 * again; so, at most once a day, records unused for 30 days go, then the
 * least recently used ones until the directory holds at most 256 MiB
 * (a wolfi-os tree for two architectures takes about 160 MiB).
 */
import { createHash } from "node:crypto";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheDir } from "../buildkit/identity.ts";
import { type CompiledBuild, compileSync, type Config } from "../config/mod.ts";
import type { PipelineFile } from "../config/pipelines.ts";

/** Compiles config text as compileSync would, from a kept record when one matches. */
export interface CompileCache {
  compile(
    file: string,
    text: string,
    load: () => Config,
    arch: string,
    loader: (name: string) => PipelineFile,
  ): CompiledBuild;
}

interface CacheRecord {
  compiled: CompiledBuild;
  /** Each pipeline used, by name, with a digest of what it loaded to. */
  pipelines: [string, string][];
}

/** A cache of compiled files in `dir` (default: the user's cache), for inputs `extra`. */
export function compileCache(extra: string[], dir = join(cacheDir(), "compiled")): CompileCache {
  try {
    pruneIfDue(dir);
  } catch { /* pruning is housekeeping: a cache that cannot be pruned still works */ }
  const salt = compilerDigest() + "\0" + extra.join("\0");
  const pipelineDigests = new Map<PipelineFile, string>();
  const digestOf = (p: PipelineFile) => {
    let d = pipelineDigests.get(p);
    if (!d) pipelineDigests.set(p, d = sha256(p.source + "\0" + JSON.stringify(p.data)));
    return d;
  };
  return {
    compile(file, text, load, arch, loader) {
      const key = sha256(`${salt}\0${arch}\0${file}\0${text}`);
      const path = join(dir, key.slice(0, 2), `${key}.json`);
      try {
        const rec: CacheRecord = JSON.parse(readFileSync(path, "utf8"));
        if (rec.pipelines.every(([name, d]) => digestOf(loader(name)) === d)) {
          touch(path);
          return rec.compiled;
        }
      } catch { /* no record, or one not readable: compile */ }
      const used = new Map<string, string>();
      const compiled = compileSync(load(), {
        arch,
        loader: (name) => {
          const p = loader(name);
          used.set(name, digestOf(p));
          return p;
        },
      });
      const rec: CacheRecord = { compiled, pipelines: [...used] };
      try {
        mkdirSync(join(dir, key.slice(0, 2)), { recursive: true });
        const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
        writeFileSync(tmp, JSON.stringify(rec));
        renameSync(tmp, path);
      } catch { /* a cache that cannot be written only costs time */ }
      return compiled;
    },
  };
}

/** Marks a record used now (pruning removes the least recently used first). */
function touch(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch { /* read-only cache: it is only pruned sooner */ }
}

/** Limits of {@link pruneCompiled}. */
export interface PruneLimits {
  /** Records unused this long go (default 30 days). */
  maxAgeMs?: number;
  /** Then the least recently used go until the records take at most this (default 256 MiB). */
  maxBytes?: number;
  now?: number;
}

const DAY_MS = 24 * 3600 * 1000;
const MARK = ".pruned";

/** Prunes `dir` when it was last pruned more than a day ago (a marker file's mtime). */
function pruneIfDue(dir: string): void {
  const mark = join(dir, MARK);
  try {
    if (Date.now() - statSync(mark).mtimeMs < DAY_MS) return;
  } catch { /* never pruned, or no cache yet */ }
  mkdirSync(dir, { recursive: true });
  pruneCompiled(dir);
  writeFileSync(mark, "");
}

/** Removes old and least recently used records (see the module doc); returns how many went. */
export function pruneCompiled(dir: string, limits: PruneLimits = {}): number {
  const now = limits.now ?? Date.now();
  const maxAge = limits.maxAgeMs ?? 30 * DAY_MS;
  const maxBytes = limits.maxBytes ?? 256 << 20;
  const records: { path: string; used: number; size: number }[] = [];
  for (const sub of readdirSync(dir)) {
    if (sub === MARK) continue;
    let names: string[];
    try {
      names = readdirSync(join(dir, sub));
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(dir, sub, name);
      try {
        const st = statSync(path);
        if (st.isFile()) records.push({ path, used: st.mtimeMs, size: st.size });
      } catch { /* gone meanwhile */ }
    }
  }
  records.sort((a, b) => b.used - a.used); // most recently used first
  let kept = 0;
  let full = false;
  let removed = 0;
  for (const r of records) {
    full ||= kept + r.size > maxBytes;
    if (!full && now - r.used <= maxAge) {
      kept += r.size;
      continue;
    }
    rmSync(r.path, { force: true });
    removed++;
  }
  return removed;
}

let compilerDigestMemo: string | undefined;

/**
 * A digest of the compiler's source (lib/config), so a changed compiler
 * never reuses old records; in a compiled binary, whose sources are not
 * files, the binary itself stands for them.
 */
function compilerDigest(): string {
  if (compilerDigestMemo) return compilerDigestMemo;
  const h = createHash("sha256");
  try {
    const dir = fileURLToPath(new URL("../config/", import.meta.url));
    for (const name of readdirSync(dir).sort()) {
      h.update(name).update(readFileSync(join(dir, name)));
    }
  } catch {
    h.update(Deno.execPath()).update(String(Deno.statSync(Deno.execPath()).mtime?.getTime()));
  }
  return compilerDigestMemo = h.digest("hex");
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}
