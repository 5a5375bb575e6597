/**
 * Stable identities for local sources, so BuildKit recognizes a directory it
 * has seen and a second solve sends only what changed: a random client id
 * kept in the user's cache directory, and keys derived from it and the
 * directories' absolute paths.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The per-user cache directory of melange2. */
export function cacheDir(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  return join(xdg || join(Deno.env.get("HOME") ?? "/root", ".cache"), "melange2");
}

/** A random id made once per user and kept. */
export function clientId(dir: string = cacheDir()): string {
  const file = join(dir, "client-id");
  if (existsSync(file)) {
    const id = readFileSync(file, "utf8").trim();
    if (/^[0-9a-f]{32}$/.test(id)) return id;
  }
  const id = randomUUID().replaceAll("-", "");
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, id + "\n");
  } catch {
    // A read-only home still builds, only without cross-run identity.
  }
  return id;
}

function hash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 32);
}

/** The session shared key for a set of local directories. */
export function sharedKey(dirs: string[], id: string = clientId()): string {
  return hash(id, ...dirs.map((d) => resolve(d)).sort());
}

/** The `local.unique` of one local directory. */
export function localUniqueId(dir: string, id: string = clientId()): string {
  return hash(id, "local", resolve(dir));
}
