/**
 * Registry credentials for the session's Auth service: none unless
 * configured, so public pulls stay anonymous. Configured means explicit
 * credentials, or the `auths` of a Docker config file ($DOCKER_CONFIG or
 * ~/.docker/config.json).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A registry login. */
export interface Credentials {
  Username: string;
  Secret: string;
}

/** Reads the `auths` entries of a Docker config file, if there is one. */
export function dockerConfigCredentials(
  dir = Deno.env.get("DOCKER_CONFIG") ?? join(Deno.env.get("HOME") ?? "/root", ".docker"),
): Record<string, Credentials> {
  const file = join(dir, "config.json");
  if (!existsSync(file)) return {};
  try {
    const cfg = JSON.parse(readFileSync(file, "utf8")) as {
      auths?: Record<string, { auth?: string }>;
    };
    const out: Record<string, Credentials> = {};
    for (const [host, entry] of Object.entries(cfg.auths ?? {})) {
      if (!entry.auth) continue;
      const [user, ...rest] = atob(entry.auth).split(":");
      out[host.replace(/^https?:\/\//, "").replace(/\/.*$/, "")] = {
        Username: user,
        Secret: rest.join(":"),
      };
    }
    return out;
  } catch {
    return {};
  }
}

/** The credentials for `host`: the configured ones, else empty (anonymous). */
export function credentialsFor(
  host: string,
  configured?: Record<string, Credentials>,
): Credentials | Record<never, never> {
  const all = configured ?? dockerConfigCredentials();
  const key = host === "registry-1.docker.io" ? "index.docker.io" : host;
  return all[host] ?? all[key] ?? {};
}
