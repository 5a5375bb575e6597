/**
 * Image references normalized as BuildKit's client does it with the
 * distribution reference library (`ParseNormalizedNamed` + `TagNameOnly`):
 * `busybox` is `docker.io/library/busybox:latest`, `index.docker.io/x` is
 * `docker.io/library/x:latest`. The grammar is the library's.
 */

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const HOST = `(?:${DOMAIN_NAME}|\\[(?:[a-fA-F0-9:]+)\\])`;
const DOMAIN_AND_PORT = `${HOST}(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const IDENTIFIER = /^[a-f0-9]{64}$/;
const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** A parsed reference: domain, path, optional tag and digest. */
export interface ImageReference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

/**
 * Parses a reference the way `docker pull` reads it; throws with the
 * library's message when it is not one.
 */
export function parseImageRef(ref: string): ImageReference {
  if (IDENTIFIER.test(ref)) {
    throw new Error(
      `invalid repository name (${ref}), cannot specify 64-byte hexadecimal strings`,
    );
  }
  const [domain, remainder] = splitDomain(ref);
  const colon = remainder.indexOf(":");
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw new Error(
      `invalid reference format: repository name (${remote}) must be lowercase`,
    );
  }
  const full = `${domain}/${remainder}`;
  const m = REFERENCE.exec(full);
  if (!m) {
    if (REFERENCE.test(full.toLowerCase())) {
      throw new Error("invalid reference format: repository name must be lowercase");
    }
    throw new Error("invalid reference format");
  }
  const name = ANCHORED_NAME.exec(m[1])!;
  if (name[2].length > 255) {
    throw new Error("repository name must not be more than 255 characters");
  }
  const out: ImageReference = { domain: name[1] ?? "", path: name[2] };
  if (m[2]) out.tag = m[2];
  if (m[3]) out.digest = validDigest(m[3]);
  return out;
}

/** `docker-image` form of a reference: fully qualified, `:latest` when neither tag nor digest. */
export function normalizeImageRef(ref: string): string {
  const r = parseImageRef(ref);
  const name = r.domain ? `${r.domain}/${r.path}` : r.path;
  const tag = r.tag ?? (r.digest ? undefined : "latest");
  return `${name}${tag ? `:${tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

function splitDomain(name: string): [string, string] {
  const slash = name.indexOf("/");
  if (slash < 0) return ["docker.io", `library/${name}`];
  const maybeDomain = name.slice(0, slash);
  let domain = "docker.io", remote = name;
  if (maybeDomain === "localhost") {
    [domain, remote] = [maybeDomain, name.slice(slash + 1)];
  } else if (maybeDomain === "index.docker.io") {
    remote = name.slice(slash + 1);
  } else if (/[.:]/.test(maybeDomain) || maybeDomain.toLowerCase() !== maybeDomain) {
    [domain, remote] = [maybeDomain, name.slice(slash + 1)];
  }
  if (domain === "docker.io" && !remote.includes("/")) remote = `library/${remote}`;
  return [domain, remote];
}

function validDigest(d: string): string {
  const colon = d.indexOf(":");
  const algorithm = d.slice(0, colon);
  const encoded = d.slice(colon + 1);
  const length = DIGEST_LENGTHS[algorithm];
  if (!length) throw new Error("unsupported digest algorithm");
  if (encoded.length !== length || !/^[a-f0-9]+$/.test(encoded)) {
    throw new Error("invalid checksum digest format");
  }
  return d;
}
