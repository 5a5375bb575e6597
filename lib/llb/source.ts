/**
 * Source ops: where a graph's content comes from. Identifiers and attribute
 * names are BuildKit's (solver/pb/attr.go); caps follow its client.
 */
import { finishOp, MarshalCache } from "./op.ts";
import type { Constraints, MarshalledOp, OpOptions, Output, Vertex } from "./types.ts";

/** A source vertex: identifier, attributes and the caps it needs. */
export class SourceOp implements Vertex {
  readonly #cache = new MarshalCache();

  constructor(
    readonly identifier: string,
    readonly attrs: Readonly<Record<string, string>>,
    readonly caps: readonly string[],
    readonly opts: OpOptions = {},
  ) {}

  inputs(): Output[] {
    return [];
  }

  marshal(c: Constraints): MarshalledOp {
    return this.#cache.get(c, () => {
      const attrs = { ...this.attrs };
      const caps = [...this.caps];
      if (this.identifier.startsWith("local://") && !("local.session" in attrs)) {
        attrs["local.unique"] ??= c.localUniqueId;
        caps.push("source.local.unique");
      }
      const platformSpecific = /^(docker-image|oci-layout):\/\//.test(this.identifier);
      return finishOp(
        { source: { identifier: this.identifier, attrs } },
        this.opts,
        caps,
        c,
        platformSpecific,
      );
    });
  }
}

/** How an image reference is resolved against the registry. */
export type ResolveMode = "default" | "pull" | "local";

/** Options of {@link imageSource}. */
export interface ImageOptions extends OpOptions {
  resolveMode?: ResolveMode;
}

/**
 * Normalizes an image reference as Docker does: `busybox` is
 * `docker.io/library/busybox:latest`.
 */
export function normalizeImageRef(ref: string): string {
  let name = ref;
  let suffix = "";
  const at = name.indexOf("@");
  if (at >= 0) {
    suffix = name.slice(at);
    name = name.slice(0, at);
  }
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  const hasDomain = first.includes(".") || first.includes(":") || first === "localhost";
  if (!hasDomain) name = `docker.io/${slash < 0 ? "library/" : ""}${name}`;
  const lastPart = name.slice(name.lastIndexOf("/") + 1);
  if (!suffix && !lastPart.includes(":")) name += ":latest";
  return name + suffix;
}

/** A container image as a source. */
export function imageSource(ref: string, opts: ImageOptions = {}): SourceOp {
  const attrs: Record<string, string> = {};
  const caps = ["source.image"];
  if (opts.resolveMode && opts.resolveMode !== "default") {
    attrs["image.resolvemode"] = opts.resolveMode;
    caps.push("source.image.resolvemode");
  }
  return new SourceOp(`docker-image://${normalizeImageRef(ref)}`, attrs, caps, opts);
}

/** Options of {@link localSource}. */
export interface LocalOptions extends OpOptions {
  includePatterns?: string[];
  excludePatterns?: string[];
  followPaths?: string[];
  sharedKeyHint?: string;
  /** `local.unique`; defaults to the graph's local unique id. */
  uniqueId?: string;
  /** Pins the source to one session (`local.session`). */
  sessionId?: string;
  /** Sends only file metadata changes by content, not by mtime (`local.differ`). */
  differ?: "none" | "metadata";
}

/** A directory of the client, sent through the session's FileSync service. */
export function localSource(name: string, opts: LocalOptions = {}): SourceOp {
  const attrs: Record<string, string> = {};
  const caps = ["source.local"];
  if (opts.sessionId) {
    attrs["local.session"] = opts.sessionId;
    caps.push("source.local.sessionid");
  }
  if (opts.uniqueId) attrs["local.unique"] = opts.uniqueId;
  if (opts.includePatterns?.length) {
    attrs["local.includepattern"] = JSON.stringify(opts.includePatterns);
    caps.push("source.local.includepatterns");
  }
  if (opts.followPaths?.length) {
    attrs["local.followpaths"] = JSON.stringify(opts.followPaths);
    caps.push("source.local.followpaths");
  }
  if (opts.excludePatterns?.length) {
    attrs["local.excludepatterns"] = JSON.stringify(opts.excludePatterns);
    caps.push("source.local.excludepatterns");
  }
  if (opts.sharedKeyHint) {
    attrs["local.sharedkeyhint"] = opts.sharedKeyHint;
    caps.push("source.local.sharedkeyhint");
  }
  if (opts.differ) {
    attrs["local.differ"] = opts.differ;
    caps.push("source.local.differ");
  }
  return new SourceOp(`local://${name}`, attrs, caps, opts);
}

/** Options of {@link gitSource}. */
export interface GitOptions extends OpOptions {
  keepGitDir?: boolean;
  /** Secret names holding an auth header or token for http(s) remotes. */
  authHeaderSecret?: string;
  authTokenSecret?: string;
}

/** A git repository at a ref (branch, tag or commit). */
export function gitSource(remote: string, ref = "", opts: GitOptions = {}): SourceOp {
  const url = new URL(remote);
  const id = `git://${url.host}${url.pathname}${ref ? `#${ref}` : ""}`;
  const attrs: Record<string, string> = {};
  const caps = ["source.git"];
  if (opts.keepGitDir) {
    attrs["git.keepgitdir"] = "true";
    caps.push("source.git.keepgitdir");
  }
  attrs["git.fullurl"] = remote;
  caps.push("source.git.fullurl");
  if (url.protocol === "https:" || url.protocol === "http:") {
    attrs["git.authheadersecret"] = opts.authHeaderSecret ?? "GIT_AUTH_HEADER";
    attrs["git.authtokensecret"] = opts.authTokenSecret ?? "GIT_AUTH_TOKEN";
    // Only explicitly chosen secrets require the daemon to support auth.
    if (opts.authHeaderSecret || opts.authTokenSecret) caps.push("source.git.httpauth");
  }
  return new SourceOp(id, attrs, caps, opts);
}

/** Options of {@link httpSource}. */
export interface HttpOptions extends OpOptions {
  /** `sha256:<hex>` the download must match. */
  checksum?: string;
  filename?: string;
  /** Permission bits of the downloaded file. */
  chmod?: number;
  uid?: number;
  gid?: number;
}

/** A file downloaded over http(s). */
export function httpSource(url: string, opts: HttpOptions = {}): SourceOp {
  const attrs: Record<string, string> = {};
  const caps = ["source.http"];
  if (opts.checksum) {
    attrs["http.checksum"] = opts.checksum;
    caps.push("source.http.checksum");
  }
  if (opts.filename) attrs["http.filename"] = opts.filename;
  if (opts.chmod !== undefined) {
    attrs["http.perm"] = `0${opts.chmod.toString(8)}`;
    caps.push("source.http.perm");
  }
  if (opts.uid !== undefined) {
    attrs["http.uid"] = String(opts.uid);
    caps.push("soruce.http.uidgid"); // sic: BuildKit's cap name
  }
  if (opts.gid !== undefined) {
    attrs["http.gid"] = String(opts.gid);
    caps.push("soruce.http.uidgid"); // sic: BuildKit's cap name
  }
  return new SourceOp(url, attrs, [...new Set(caps)], opts);
}

/** Options of {@link ociLayoutSource}. */
export interface OciLayoutOptions extends OpOptions {
  /** Session whose content store holds the layout. */
  sessionId?: string;
  storeId?: string;
}

/** An image from an OCI layout the client serves (`oci-layout://store@digest`). */
export function ociLayoutSource(ref: string, opts: OciLayoutOptions = {}): SourceOp {
  const attrs: Record<string, string> = {};
  if (opts.sessionId) attrs["oci.session"] = opts.sessionId;
  if (opts.storeId) attrs["oci.store"] = opts.storeId;
  return new SourceOp(`oci-layout://${ref}`, attrs, ["source.ocilayout"], opts);
}
