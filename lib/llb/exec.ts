/**
 * Exec ops: a command run in a container whose root and other mounts are
 * other states' outputs, caches, tmpfs, secrets or ssh agents.
 */
import { compareBytes } from "./encode.ts";
import { finishOp, inputMessage, MarshalCache } from "./op.ts";
import type { Constraints, MarshalledOp, OpOptions, Output, Vertex } from "./types.ts";

/** How concurrent builds share a cache mount. */
export type CacheSharing = "shared" | "private" | "locked";

/** Network of the container: BuildKit's sandbox, the host's, or none. */
export type NetworkMode = "sandbox" | "host" | "none";

/** Security mode: sandboxed, or privileged (needs the security.insecure entitlement). */
export type SecurityMode = "sandbox" | "insecure";

/** A mount of an exec op. */
export type Mount =
  | {
    type: "bind";
    target: string;
    source: Output | null;
    selector?: string;
    readonly?: boolean;
  }
  | {
    type: "cache";
    target: string;
    id: string;
    sharing?: CacheSharing;
    source?: Output | null;
    selector?: string;
  }
  | { type: "tmpfs"; target: string; size?: number }
  | {
    type: "secret";
    target: string;
    id: string;
    uid?: number;
    gid?: number;
    mode?: number;
    optional?: boolean;
  }
  | {
    type: "ssh";
    target?: string;
    id?: string;
    uid?: number;
    gid?: number;
    mode?: number;
    optional?: boolean;
  };

/** Everything an exec op runs with, resolved from the state and run options. */
export interface ExecSpec {
  args: string[];
  env: string[];
  cwd: string;
  user?: string;
  hostname?: string;
  extraHosts?: { host: string; ip: string }[];
  validExitCodes?: number[];
  network?: NetworkMode;
  security?: SecurityMode;
  /** Secrets exposed as environment variables. */
  secretEnv?: { id: string; name: string; optional?: boolean }[];
  root: Output | null;
  mounts: Mount[];
}

const NET = { sandbox: 0, host: 1, none: 2 } as const;
const SHARING = { shared: 0, private: 1, locked: 2 } as const;

/** The exec vertex. Output 0 is the root; writable bind mounts follow. */
export class ExecOp implements Vertex {
  readonly #cache = new MarshalCache();

  constructor(readonly spec: ExecSpec, readonly opts: OpOptions = {}) {}

  inputs(): Output[] {
    const outs = this.spec.root ? [this.spec.root] : [];
    for (const m of this.spec.mounts) {
      if ((m.type === "bind" || m.type === "cache") && m.source) outs.push(m.source);
    }
    return outs;
  }

  /** The output index of the writable mount at `target` (0 is the root). */
  outputIndexOf(target: string): number | undefined {
    if (target === "/") return 0;
    let index = 1;
    for (const m of this.#sortedMounts()) {
      if (m.type !== "bind" || m.readonly) continue;
      if (m.target === target) return index;
      index++;
    }
    return undefined;
  }

  #sortedMounts(): Mount[] {
    const fs = this.spec.mounts.filter((m) => m.type !== "secret" && m.type !== "ssh");
    return fs.sort((a, b) => compareBytes(a.target!, b.target!));
  }

  marshal(c: Constraints): MarshalledOp {
    return this.#cache.get(c, () => this.#marshal(c));
  }

  #marshal(c: Constraints): MarshalledOp {
    const s = this.spec;
    const caps = new Set(["exec.meta.base"]);
    if ((s.network ?? "sandbox") !== "sandbox") caps.add("exec.meta.network");
    if (s.security === "insecure") caps.add("exec.meta.security");
    if (s.validExitCodes?.length) caps.add("exec.validexitcode");

    const inputs: Record<string, unknown>[] = [];
    const addInput = (o: Output): number => {
      const msg = inputMessage(o, c);
      const at = inputs.findIndex((i) => i.digest === msg.digest && i.index === msg.index);
      if (at >= 0) return at;
      inputs.push(msg);
      return inputs.length - 1;
    };

    const all: Mount[] = [{ type: "bind", target: "/", source: s.root }, ...this.#sortedMounts()];
    all.sort((a, b) => compareBytes(a.target!, b.target!));
    let outIndex = 0;
    const mounts: Record<string, unknown>[] = [];
    for (const m of all) {
      if (m.type === "secret" || m.type === "ssh") continue;
      const source = m.type === "tmpfs" ? null : m.source ?? null;
      const selector = m.type === "tmpfs" ? undefined : m.selector;
      if (selector) caps.add("exec.mount.selector");
      const writable = m.type === "bind" && !m.readonly;
      const pm: Record<string, unknown> = {
        input: source ? addInput(source) : -1,
        selector,
        dest: m.target,
        output: writable ? outIndex++ : -1,
        readonly: m.type === "bind" ? m.readonly : undefined,
      };
      if (m.type === "cache") {
        caps.add("exec.mount.cache").add("exec.mount.cache.sharing");
        pm.mountType = 3;
        pm.cacheOpt = { ID: m.id, sharing: SHARING[m.sharing ?? "shared"] };
      } else if (m.type === "tmpfs") {
        caps.add("exec.mount.tmpfs");
        if (m.size) caps.add("exec.mount.tmpfs.size");
        pm.mountType = 4;
        pm.TmpfsOpt = { size: m.size };
      } else if (source) {
        caps.add("exec.mount.bind");
      }
      mounts.push(pm);
    }
    this.#appendAgentMounts(mounts, caps);

    const op = {
      inputs,
      exec: {
        meta: {
          args: s.args,
          env: s.env,
          cwd: s.cwd,
          user: s.user,
          extraHosts: s.extraHosts?.map((h) => ({ Host: h.host, IP: h.ip })),
          hostname: s.hostname,
          removeMountStubsRecursive: true,
          validExitCodes: s.validExitCodes,
        },
        mounts,
        network: NET[s.network ?? "sandbox"],
        security: s.security === "insecure" ? 1 : 0,
        secretenv: s.secretEnv?.map((e) => ({ ID: e.id, name: e.name, optional: e.optional })),
      },
    };
    return finishOp(op, this.opts, [...caps].sort(compareBytes), c);
  }

  /** Secret and ssh mounts come after the file system mounts, in the order given. */
  #appendAgentMounts(mounts: Record<string, unknown>[], caps: Set<string>): void {
    if (this.spec.secretEnv?.length) caps.add("exec.secret.env");
    let sshIndex = 0;
    for (const m of this.spec.mounts) {
      if (m.type === "secret") {
        caps.add("exec.mount.secret");
        mounts.push({
          dest: m.target,
          mountType: 1,
          secretOpt: {
            ID: m.id,
            uid: m.uid,
            gid: m.gid,
            mode: m.mode ?? 0o400,
            optional: m.optional,
          },
        });
      } else if (m.type === "ssh") {
        caps.add("exec.mount.ssh");
        mounts.push({
          dest: m.target ?? `/run/buildkit/ssh_agent.${sshIndex}`,
          mountType: 2,
          SSHOpt: {
            ID: m.id ?? "default",
            uid: m.uid,
            gid: m.gid,
            mode: m.mode ?? 0o600,
            optional: m.optional,
          },
        });
        sshIndex++;
      }
    }
  }
}
