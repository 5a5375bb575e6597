/**
 * Source ops: where a graph's content comes from. Identifiers, attribute
 * names and caps are BuildKit's (solver/pb/attr.go, caps.go), set exactly
 * when its Go client sets them.
 */
import { finishOp, MarshalCache } from "./op.ts";
import { parseGitRemote } from "./giturl.ts";
import { clean } from "./gopath.ts";
import { goJSONStrings } from "./gojson.ts";
import { normalizeImageRef } from "./reference.ts";
import type { Constraints, MarshalledOp, OpOptions, Output, Vertex } from "./types.ts";

/** A source vertex: identifier, attributes and the caps it needs. */
export class SourceOp implements Vertex {
  readonly #cache = new MarshalCache();

  constructor(
    readonly identifier: string,
    readonly attrs: Readonly<Record<string, string>>,
    readonly caps: readonly string[],
    readonly opts: OpOptions & { uniqueId?: string } = {},
    /** Why the source is invalid; like Go's client, marshalling reports it. */
    readonly error?: Error,
  ) {}

  inputs(): Output[] {
    return [];
  }

  /** The source's output; it carries the platform the source was given, if any. */
  output(): Output {
    return { vertex: this, index: 0, platform: this.opts.platform };
  }

  marshal(c: Constraints): MarshalledOp {
    if (this.error) throw this.error;
    return this.#cache.get(c, () => {
      const attrs = { ...this.attrs };
      const caps = [...this.caps];
      if (this.identifier.startsWith("local://") && !("local.session" in attrs)) {
        attrs["local.unique"] = this.opts.uniqueId || c.localUniqueId;
        caps.push("source.local.unique");
      }
      const platformSpecific = /^(docker-image|oci-layout):\/\//.test(this.identifier);
      return finishOp(
        { source: { identifier: this.identifier, attrs } },
        this.opts,
        caps,
        platformSpecific ? this.opts.platform ?? c.platform : null,
      );
    });
  }
}

/** How an image reference is resolved against the registry. */
export type ResolveMode = "default" | "pull" | "local";

/** Options of {@link imageSource}. */
export interface ImageOptions extends OpOptions {
  resolveMode?: ResolveMode;
  /** Use at most this many layers of the image. */
  layerLimit?: number;
  /** The image must have this digest (`sha256:...`). */
  checksum?: string;
  /** Marks an image the build uses but does not ship (`image.recordtype=internal`). */
  internal?: boolean;
}

/** A container image as a source; marshalling fails when `ref` is not an image reference. */
export function imageSource(ref: string, opts: ImageOptions = {}): SourceOp {
  const attrs: Record<string, string> = {};
  const caps = ["source.image"];
  if (opts.resolveMode && opts.resolveMode !== "default") {
    attrs["image.resolvemode"] = opts.resolveMode;
    // Only pull is a security guarantee the daemon must understand.
    if (opts.resolveMode === "pull") caps.push("source.image.resolvemode");
  }
  if (opts.internal) attrs["image.recordtype"] = "internal";
  if (opts.layerLimit !== undefined) {
    attrs["image.layerlimit"] = String(opts.layerLimit);
    caps.push("source.image.layerlimit");
  }
  if (opts.checksum) {
    attrs["image.checksum"] = opts.checksum;
    caps.push("source.image.checksum");
  }
  try {
    return new SourceOp(`docker-image://${normalizeImageRef(ref)}`, attrs, caps, opts);
  } catch (err) {
    const error = new Error(`image ${JSON.stringify(ref)}: ${(err as Error).message}`);
    return new SourceOp(`docker-image://${ref}`, attrs, caps, opts, error);
  }
}

/** Options of {@link localSource}. */
export interface LocalOptions extends OpOptions {
  includePatterns?: string[];
  excludePatterns?: string[];
  followPaths?: string[];
  sharedKeyHint?: string;
  /** `local.unique`; defaults to the graph's local unique id. */
  uniqueId?: string;
  /** Pins the source to one session (`local.session`); no `local.unique` then. */
  sessionId?: string;
  /** How the daemon decides which files changed; `required` makes it a capability. */
  differ?: { type: "none" | "metadata"; required?: boolean };
  /** Send only metadata, except for these patterns' contents. */
  metadataOnly?: { exceptions?: string[] };
}

/** A directory of the client, sent through the session's FileSync service. */
export function localSource(name: string, opts: LocalOptions = {}): SourceOp {
  const attrs: Record<string, string> = {};
  const caps = ["source.local"];
  const set = (attr: string, value: string, cap?: string) => {
    attrs[attr] = value;
    if (cap) caps.push(cap);
  };
  if (opts.sessionId) set("local.session", opts.sessionId, "source.local.sessionid");
  if (opts.includePatterns?.length) {
    set(
      "local.includepattern",
      goJSONStrings(opts.includePatterns),
      "source.local.includepatterns",
    );
  }
  if (opts.followPaths?.length) {
    set("local.followpaths", goJSONStrings(opts.followPaths), "source.local.followpaths");
  }
  if (opts.excludePatterns?.length) {
    set(
      "local.excludepatterns",
      goJSONStrings(opts.excludePatterns),
      "source.local.excludepatterns",
    );
  }
  if (opts.sharedKeyHint) {
    set("local.sharedkeyhint", opts.sharedKeyHint, "source.local.sharedkeyhint");
  }
  if (opts.differ?.type) {
    set("local.differ", opts.differ.type, opts.differ.required ? "source.local.differ" : undefined);
  }
  if (opts.metadataOnly) {
    set("local.metadatatransfer", "true", "source.local.metadatatransfer");
    const except = opts.metadataOnly.exceptions;
    if (except?.length) set("local.metadatatransferexclude", goJSONStrings(except));
  }
  return new SourceOp(`local://${name}`, attrs, caps, opts);
}

/** Options of {@link gitSource}. */
export interface GitOptions extends OpOptions {
  keepGitDir?: boolean;
  /** Secret names holding an auth header or token (defaults GIT_AUTH_HEADER, GIT_AUTH_TOKEN). */
  authHeaderSecret?: string;
  authTokenSecret?: string;
  /** The ref to check out (overrides the fragment's). */
  ref?: string;
  /** The directory of the repository to use (overrides the fragment's). */
  subdir?: string;
  /** known_hosts lines for ssh remotes. */
  knownSshHosts?: string[];
  /** The ssh agent id forwarded for ssh remotes (default `default`). */
  mountSshSock?: string;
  /** The commit the ref must resolve to. */
  checksum?: string;
  skipSubmodules?: boolean;
  /** File times: `checkout` (default) or `commit`. */
  mtime?: string;
  /** Fetch the commit given as checksum directly, without resolving the ref. */
  fetchByCommit?: boolean;
}

/**
 * A git repository. `fragment` is `ref` or `ref:subdir`, as after `#` in
 * Docker's git URLs; options override it.
 */
export function gitSource(remote: string, fragment = "", opts: GitOptions = {}): SourceOp {
  const parsed = parseGitRemote(remote);
  let [ref, subdir] = splitFragment(fragment);
  if (opts.ref !== undefined) ref = opts.ref;
  if (opts.subdir !== undefined) subdir = opts.subdir;
  let id = parsed.url;
  if (parsed.ok) {
    id = `${parsed.remote.host}${clean(`/${parsed.remote.path}`)}`;
    if (ref || subdir) id += `#${ref}${subdir ? `:${subdir}` : ""}`;
  }
  const attrs: Record<string, string> = {};
  const caps = new Set(["source.git"]);
  const set = (attr: string, value: string, cap?: string) => {
    attrs[attr] = value;
    if (cap) caps.add(cap);
  };
  if (opts.keepGitDir) set("git.keepgitdir", "true", "source.git.keepgitdir");
  if (parsed.url) set("git.fullurl", parsed.url, "source.git.fullurl");
  // The default secret names are always recorded; only chosen ones need the cap.
  const authCap = opts.authHeaderSecret !== undefined || opts.authTokenSecret !== undefined
    ? "source.git.httpauth"
    : undefined;
  const token = opts.authTokenSecret ?? "GIT_AUTH_TOKEN";
  const header = opts.authHeaderSecret ?? "GIT_AUTH_HEADER";
  if (token) set("git.authtokensecret", token, authCap);
  if (header) set("git.authheadersecret", header, authCap);
  if (parsed.ok && parsed.remote.scheme === "ssh") {
    // Go's client scans the host's key over the network when none is given; we never do.
    const known = (opts.knownSshHosts ?? []).map((k) => `${k.replace(/\n$/, "")}\n`).join("");
    if (known) attrs["git.knownsshhosts"] = known;
    caps.add("source.git.knownsshhosts");
    set("git.mountsshsock", opts.mountSshSock || "default", "source.git.mountsshsock");
  }
  if (opts.checksum) set("git.checksum", opts.checksum, "source.git.checksum");
  if (opts.skipSubmodules) set("git.skipsubmodules", "true", "source.git.skipsubmodules");
  if (opts.mtime) set("git.mtime", opts.mtime, "source.git.mtime");
  if (opts.fetchByCommit) set("git.fetchbycommit", "true", "source.git.fetchbycommit");
  return new SourceOp(`git://${id}`, attrs, [...caps], opts);
}

function splitFragment(fragment: string): [string, string] {
  const colon = fragment.indexOf(":");
  if (colon < 0) return [fragment, ""];
  return [fragment.slice(0, colon), clean(`/${fragment.slice(colon + 1)}`).slice(1)];
}

/** Options of {@link httpSource}. */
export interface HttpOptions extends OpOptions {
  /** `sha256:<hex>` the download must match. */
  checksum?: string;
  filename?: string;
  /** Permission bits of the downloaded file (masked to 0o777, as Go's client does). */
  chmod?: number;
  uid?: number;
  gid?: number;
  /** Name of the secret holding an Authorization header. */
  authHeaderSecret?: string;
  /** Extra request headers. */
  headers?: { accept?: string; userAgent?: string };
  /** Verify a detached, armored OpenPGP signature of the download. */
  pgp?: { pubKey?: string; signature?: string };
}

/** A file downloaded over http(s). */
export function httpSource(url: string, opts: HttpOptions = {}): SourceOp {
  const attrs: Record<string, string> = {};
  const caps = new Set(["source.http"]);
  const set = (attr: string, value: string, cap?: string) => {
    attrs[attr] = value;
    if (cap) caps.add(cap);
  };
  if (opts.checksum) set("http.checksum", opts.checksum, "source.http.checksum");
  if (opts.filename) set("http.filename", opts.filename);
  const perm = (opts.chmod ?? 0) & 0o777;
  if (perm) set("http.perm", `0${perm.toString(8)}`, "source.http.perm");
  // sic: BuildKit's cap name.
  if (opts.uid) set("http.uid", String(opts.uid), "soruce.http.uidgid");
  if (opts.gid) set("http.gid", String(opts.gid), "soruce.http.uidgid");
  if (opts.authHeaderSecret) {
    set("http.authheadersecret", opts.authHeaderSecret, "source.http.auth");
  }
  if (opts.headers) {
    if (opts.headers.accept) attrs["http.header.accept"] = opts.headers.accept;
    if (opts.headers.userAgent) attrs["http.header.user-agent"] = opts.headers.userAgent;
    caps.add("source.http.header");
  }
  if (opts.pgp) {
    if (opts.pgp.pubKey) attrs["http.sig.pubkey"] = opts.pgp.pubKey;
    if (opts.pgp.signature) attrs["http.sig.signature"] = opts.pgp.signature;
    caps.add("source.http.signatureverify");
  }
  return new SourceOp(url, attrs, [...caps], opts);
}

/** Options of {@link ociLayoutSource}. */
export interface OciLayoutOptions extends OpOptions {
  /** Session whose content store holds the layout. */
  sessionId?: string;
  storeId?: string;
  layerLimit?: number;
}

/** An image from an OCI layout the client serves (`oci-layout://store@digest`). */
export function ociLayoutSource(ref: string, opts: OciLayoutOptions = {}): SourceOp {
  const attrs: Record<string, string> = {};
  if (opts.sessionId) attrs["oci.session"] = opts.sessionId;
  if (opts.storeId) attrs["oci.store"] = opts.storeId;
  if (opts.layerLimit !== undefined) attrs["oci.layerlimit"] = String(opts.layerLimit);
  return new SourceOp(`oci-layout://${ref}`, attrs, ["source.ocilayout"], opts);
}
