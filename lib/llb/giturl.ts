/**
 * Git remotes read as BuildKit's client reads them (util/gitutil.ParseURL):
 * `https://`, `http://`, `ssh://` and `git://` URLs, scp-like
 * `user@host:path`, and anything else as an https URL without its scheme.
 */

/** A parsed remote: what the git source's identifier and attributes are made of. */
export interface GitRemote {
  scheme: "http" | "https" | "ssh" | "git";
  host: string;
  path: string;
  /** The URL without query and fragment, as the source's `git.fullurl`. */
  remote: string;
}

const SCHEME = /^[a-zA-Z0-9]+:\/\//;
const SCP = /^([a-zA-Z0-9\-_]+)@([a-zA-Z0-9\-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$/;
const SCHEMES = new Set(["http", "https", "ssh", "git"]);

/** The outcome of parsing: a remote, or why Go's client could not read it. */
export type GitParse =
  | { ok: true; url: string; remote: GitRemote }
  | { ok: false; url: string };

/**
 * Parses `url` as `llb.Git` does, with its fallback: a remote without a known
 * form is tried again as `https://` + url. `url` in the result is the one the
 * source records (the remote without query and fragment when it parsed).
 */
export function parseGitRemote(url: string): GitParse {
  let parsed = parseKnown(url);
  if (parsed === "unknown") {
    url = `https://${url}`;
    parsed = parseKnown(url);
  }
  if (parsed === "unknown" || parsed === "invalid") return { ok: false, url };
  return { ok: true, url: parsed.remote, remote: parsed };
}

function parseKnown(url: string): GitRemote | "unknown" | "invalid" {
  const scheme = SCHEME.exec(url)?.[0];
  if (scheme) {
    const name = scheme.slice(0, -3).toLowerCase();
    if (!SCHEMES.has(name)) return "invalid";
    return parseURL(url, name as GitRemote["scheme"]) ?? "invalid";
  }
  const scp = SCP.exec(url);
  if (!scp) return "unknown";
  const [, user, host, path, query] = scp;
  const q = query ? encodeQuery(query) : "";
  return { scheme: "ssh", host, path, remote: `${user}@${host}:${path}${q ? `?${q}` : ""}` };
}

/** A hierarchical URL as Go's net/url reads and writes it back, for the characters a remote uses. */
function parseURL(url: string, scheme: GitRemote["scheme"]): GitRemote | undefined {
  // Go's url.Parse refuses control characters and spaces, and bad escapes.
  if ([...url].some((c) => c <= " " || c === "\x7f") || /%(?![0-9a-fA-F]{2})/.test(url)) {
    return undefined;
  }
  let rest = url.slice(url.indexOf("://") + 3);
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const question = rest.indexOf("?");
  if (question >= 0) rest = rest.slice(0, question);
  const slash = rest.indexOf("/");
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash) : "";
  const at = authority.lastIndexOf("@");
  const host = authority.slice(at + 1);
  if (!validHost(host)) return undefined;
  const user = at >= 0 ? `${authority.slice(0, at)}@` : "";
  return {
    scheme,
    host,
    path: unescapePath(path),
    remote: `${scheme}://${user}${host}${path}`,
  };
}

function validHost(host: string): boolean {
  const colon = host.lastIndexOf(":");
  if (colon < 0 || host.endsWith("]")) return true;
  return /^[0-9]*$/.test(host.slice(colon + 1));
}

/** Go's url.Values.Encode: keys sorted, values in order, query-escaped. */
function encodeQuery(raw: string): string {
  const params = new URLSearchParams(raw);
  const keys = [...new Set(params.keys())].sort();
  const esc = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");
  return keys.flatMap((k) => params.getAll(k).map((v) => `${esc(k)}=${esc(v)}`)).join("&");
}

function unescapePath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p; // not UTF-8 once unescaped: Go keeps the bytes, the identifier keeps the escapes
  }
}
