/**
 * Exec ops: a command run in a container whose root and other mounts are
 * other states' outputs, caches or tmpfs, with secrets and ssh agents. The
 * op is built exactly as BuildKit's Go client builds it (client/llb/exec.go):
 * mounts sorted by target, outputs numbered over the writable mounts, caps
 * recorded for every feature used.
 */
import { compareBytes } from "./encode.ts";
import { finishOp, InputList, MarshalCache } from "./op.ts";
import type { Constraints, MarshalledOp, OpOptions, Output, Platform, Vertex } from "./types.ts";

/** How concurrent builds share a cache mount. */
export type CacheSharing = "shared" | "private" | "locked";

/** Network of the container: BuildKit's sandbox, the host's, or none. */
export type NetworkMode = "sandbox" | "host" | "none";

/** Security mode: sandboxed, or privileged (needs the security.insecure entitlement). */
export type SecurityMode = "sandbox" | "insecure";

/** Whether BuildKit may reuse a bind mount's content checksums (`exec.mount.cache.content`). */
export type ContentCache = "default" | "on" | "off";

/** A file system mount: bind (the default), cache or tmpfs. */
export interface Mount {
  target: string;
  /** The mounted output; null for scratch. */
  source: Output | null;
  readonly?: boolean;
  /** The directory of the source to mount. */
  selector?: string;
  /** Writable but discarded: no output for it. */
  noOutput?: boolean;
  contentCache?: ContentCache;
  cache?: { id: string; sharing?: CacheSharing };
  tmpfs?: { size?: number };
}

/** A secret as a file or as an environment variable (`env` set, then no file). */
export interface SecretMount {
  id: string;
  target?: string;
  env?: string;
  uid?: number;
  gid?: number;
  mode?: number;
  optional?: boolean;
}

/** An ssh agent socket forwarded into the container. */
export interface SshMount {
  id?: string;
  target?: string;
  uid?: number;
  gid?: number;
  mode?: number;
  optional?: boolean;
}

/** Proxy variables BuildKit sets for the command but keeps out of the cache key. */
export interface ProxyEnv {
  httpProxy?: string;
  httpsProxy?: string;
  ftpProxy?: string;
  noProxy?: string;
  allProxy?: string;
}

/** Everything an exec op runs with, resolved from the state and run options. */
export interface ExecSpec {
  args: string[];
  env: readonly (readonly [string, string])[];
  cwd: string;
  user?: string;
  hostname?: string;
  cgroupParent?: string;
  extraHosts?: readonly { host: string; ip: string }[];
  ulimits?: readonly { name: string; soft: number; hard: number }[];
  validExitCodes?: number[];
  network?: NetworkMode;
  security?: SecurityMode;
  proxyEnv?: ProxyEnv;
  readonlyRootfs?: boolean;
  root: Output | null;
  mounts: Mount[];
  secrets?: SecretMount[];
  ssh?: SshMount[];
  cdiDevices?: { name: string; optional?: boolean }[];
  /** The exec's platform when the state or the run options set one. */
  platform?: Platform;
}

const NET = { sandbox: 0, host: 1, none: 2 } as const;
const SHARING = { shared: 0, private: 1, locked: 2 } as const;
const CONTENT_CACHE = { default: 0, on: 1, off: 2 } as const;

/** The exec vertex. Its outputs are the writable mounts, numbered in target order. */
export class ExecOp implements Vertex {
  readonly #cache = new MarshalCache();
  /** Every file system mount, the root's first, sorted by target as Go sorts them. */
  readonly #mounts: Mount[];

  constructor(readonly spec: ExecSpec, readonly opts: OpOptions = {}) {
    const root: Mount = { target: "/", source: spec.root, readonly: spec.readonlyRootfs };
    this.#mounts = [root, ...spec.mounts].sort((a, b) => compareBytes(a.target, b.target));
  }

  inputs(): Output[] {
    const outs: Output[] = [];
    for (const m of this.#mounts) {
      const s = m.source;
      if (s && !outs.some((o) => o.vertex === s.vertex && o.index === s.index)) outs.push(s);
    }
    return outs;
  }

  /**
   * The output for the mount at `target`: a writable mount's result, or the
   * source itself when the mount is read-only. Throws for a mount that has
   * no result (tmpfs, cache, no-output) or none at that target.
   */
  outputOf(target: string): Output | null {
    const m = this.#mounts.find((m) => m.target === target);
    if (!m) throw new Error(`no mount at ${target}`);
    if (m.readonly) return m.source;
    if (m.tmpfs) throw new Error(`tmpfs mount for ${target} can't be used as a parent`);
    if (m.noOutput) {
      throw new Error(`mount marked no-output and ${target} can't be used as a parent`);
    }
    if (m.cache) throw new Error(`invalid mount: ${target}`);
    const index = this.#mounts.filter(hasOutput).indexOf(m);
    return { vertex: this, index, platform: this.opts.platform };
  }

  marshal(c: Constraints): MarshalledOp {
    return this.#cache.get(c, () => this.#marshal(c));
  }

  #marshal(c: Constraints): MarshalledOp {
    const s = this.spec;
    const caps = new Set<string>();
    const ssh = (s.ssh ?? []).map((m, i) => ({
      ...m,
      target: m.target || `/run/buildkit/ssh_agent.${i}`,
    }));
    const env = s.env.map(([k, v]) => `${k}=${v}`);
    if (ssh.length && !s.env.some(([k]) => k === "SSH_AUTH_SOCK")) {
      env.push(`SSH_AUTH_SOCK=${ssh[0].target}`);
    }
    if (s.validExitCodes?.length) caps.add("exec.validexitcode");
    if (s.ulimits?.length) caps.add("exec.meta.ulimit");
    if (this.opts.linuxResources) caps.add("exec.meta.linux.resources");
    if ((s.network ?? "sandbox") !== "sandbox") caps.add("exec.meta.network");
    if (s.security === "insecure") caps.add("exec.meta.security");
    if (s.proxyEnv) caps.add("exec.meta.proxyenv");
    caps.add("exec.meta.base");

    const inputs = new InputList(c);
    const mounts: Record<string, unknown>[] = [];
    let outIndex = 0;
    for (const m of this.#mounts) {
      addMountCaps(m, caps);
      if (m.tmpfs && m.source) throw new Error("tmpfs mounts must use scratch");
      mounts.push({
        input: m.source ? inputs.add(m.source) : -1,
        selector: m.selector,
        dest: m.target,
        output: hasOutput(m) ? outIndex++ : -1,
        readonly: m.readonly,
        mountType: m.cache ? 3 : m.tmpfs ? 4 : 0,
        TmpfsOpt: m.tmpfs ? { size: m.tmpfs.size } : undefined,
        cacheOpt: m.cache
          ? { ID: m.cache.id, sharing: SHARING[m.cache.sharing ?? "shared"] }
          : undefined,
        contentCache: CONTENT_CACHE[m.contentCache ?? "default"],
      });
    }
    const secretenv = this.#secrets(mounts, caps);
    for (const m of ssh) {
      mounts.push({
        input: -1,
        dest: m.target,
        mountType: 2,
        SSHOpt: { ID: m.id, uid: m.uid, gid: m.gid, mode: m.mode ?? 0o600, optional: m.optional },
      });
    }
    if (ssh.length) caps.add("exec.mount.ssh");
    if (s.cdiDevices?.length) caps.add("exec.meta.cdi");

    const op = {
      inputs: inputs.list,
      exec: {
        meta: {
          args: s.args,
          env,
          cwd: s.cwd,
          user: s.user,
          proxy_env: s.proxyEnv && proxyMessage(s.proxyEnv),
          extraHosts: s.extraHosts?.map((h) => ({ Host: h.host, IP: h.ip })),
          hostname: s.hostname,
          ulimit: s.ulimits?.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
          cgroupParent: s.cgroupParent,
          removeMountStubsRecursive: true,
          validExitCodes: s.validExitCodes,
        },
        mounts,
        network: NET[s.network ?? "sandbox"],
        security: s.security === "insecure" ? 1 : 0,
        secretenv,
        cdiDevices: s.cdiDevices?.map((d) => ({ name: d.name, optional: d.optional })),
      },
    };
    return finishOp(op, this.opts, caps, s.platform ?? c.platform);
  }

  /** Secret files become mounts after the file system mounts; secret variables, `secretenv`. */
  #secrets(mounts: Record<string, unknown>[], caps: Set<string>): Record<string, unknown>[] {
    const secrets = this.spec.secrets ?? [];
    if (secrets.length) caps.add("exec.mount.secret");
    const env: Record<string, unknown>[] = [];
    for (const s of secrets) {
      if (s.env !== undefined) {
        caps.add("exec.secretenv");
        env.push({ ID: s.id, name: s.env, optional: s.optional });
      }
      if (s.target !== undefined) {
        mounts.push({
          input: -1,
          dest: s.target,
          mountType: 1,
          secretOpt: {
            ID: s.id,
            uid: s.uid,
            gid: s.gid,
            optional: s.optional,
            mode: s.mode ?? 0o400,
          },
        });
      }
    }
    return env;
  }
}

function hasOutput(m: Mount): boolean {
  return !m.noOutput && !m.readonly && !m.cache && !m.tmpfs;
}

function addMountCaps(m: Mount, caps: Set<string>): void {
  if (m.selector) caps.add("exec.mount.selector");
  if (m.cache) caps.add("exec.mount.cache").add("exec.mount.cache.sharing");
  else if (m.tmpfs) {
    caps.add("exec.mount.tmpfs");
    if ((m.tmpfs.size ?? 0) > 0) caps.add("exec.mount.tmpfs.size");
  } else if (m.source) caps.add("exec.mount.bind");
  if ((m.contentCache ?? "default") !== "default") caps.add("exec.mount.cache.content");
}

function proxyMessage(p: ProxyEnv): Record<string, unknown> {
  return {
    http_proxy: p.httpProxy,
    https_proxy: p.httpsProxy,
    ftp_proxy: p.ftpProxy,
    no_proxy: p.noProxy,
    all_proxy: p.allProxy,
  };
}
