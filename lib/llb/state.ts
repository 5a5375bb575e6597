/**
 * The State API: an immutable value naming a file system (an op output or
 * scratch) plus the settings later execs inherit (env, dir, user, platform,
 * network, security, hostname, extra hosts, ulimits, cgroup parent). Every
 * method returns a new state; each state records the call that made it.
 * Semantics are BuildKit's Go client's (client/llb/state.go, meta.go).
 */
import { type ContentCache, ExecOp, type Mount, type NetworkMode, type ProxyEnv } from "./exec.ts";
import type { SecretMount, SecurityMode, SshMount } from "./exec.ts";
import { type CopyOptions, FileAction, FileOp, type FileSource } from "./file.ts";
import type { CreateOptions, MkdirOptions, RmOptions } from "./file.ts";
import { isAbs, join } from "./gopath.ts";
import { DiffOp, MergeOp, PassthroughOp } from "./merge.ts";
import { canonicalIP } from "./ip.ts";
import { normalizePlatform } from "./platform.ts";
import {
  type GitOptions,
  gitSource,
  type HttpOptions,
  httpSource,
  type ImageOptions,
  imageSource,
  type LocalOptions,
  localSource,
  type OciLayoutOptions,
  ociLayoutSource,
} from "./source.ts";
import { SCRATCH_NODE, TraceNode } from "./trace.ts";
import type { OpOptions, Output, Platform } from "./types.ts";

interface Settings {
  readonly env: readonly (readonly [string, string])[];
  readonly dir: string;
  readonly user?: string;
  readonly platform?: Platform;
  readonly network?: NetworkMode;
  readonly security?: SecurityMode;
  readonly hostname?: string;
  readonly cgroupParent?: string;
  readonly extraHosts: readonly { host: string; ip: string }[];
  readonly ulimits: readonly { name: string; soft: number; hard: number }[];
}

const EMPTY: Settings = { env: [], dir: "/", extraHosts: [], ulimits: [] };

/** Options of {@link State.run}. Settings given here apply to this exec only. */
export interface RunOptions extends OpOptions {
  /** The argv to run. */
  args?: string[];
  /** A shell line, run as `/bin/sh -c LINE`. */
  shell?: string;
  /** Extra environment (applied in key order). */
  env?: Record<string, string>;
  /** Working directory; relative to the state's. */
  cwd?: string;
  user?: string;
  hostname?: string;
  network?: NetworkMode;
  security?: SecurityMode;
  extraHosts?: { host: string; ip: string }[];
  ulimits?: { name: string; soft: number; hard: number }[];
  cgroupParent?: string;
  /** Exit codes that count as success (default: 0 only). */
  validExitCodes?: number[];
  /** Other mounts; bind and cache sources are states. */
  mounts?: MountSpec[];
  /** Secrets as environment variables (`id` defaults to `name`). */
  secretEnv?: { id?: string; name: string; optional?: boolean }[];
  /** The root file system is read-only; the exec's root result is then its input. */
  readonlyRootfs?: boolean;
  proxyEnv?: ProxyEnv;
  /** CDI devices (e.g. `vendor.com/gpu=0`) the container gets. */
  cdiDevices?: { name: string; optional?: boolean }[];
}

/** A mount as given to {@link State.run}. */
export type MountSpec =
  | {
    type: "bind";
    target: string;
    source: State;
    selector?: string;
    readonly?: boolean;
    /** Writable, but its changes are thrown away. */
    noOutput?: boolean;
    contentCache?: ContentCache;
  }
  | {
    type: "cache";
    target: string;
    id: string;
    sharing?: "shared" | "private" | "locked";
    /** Seeds the cache when it is new. */
    source?: State;
    selector?: string;
    readonly?: boolean;
    contentCache?: ContentCache;
  }
  | { type: "tmpfs"; target: string; size?: number }
  | ({ type: "secret"; target: string; id?: string } & Omit<SecretMount, "id" | "target" | "env">)
  | ({ type: "ssh" } & SshMount);

/** A file system and the settings execs on it inherit. */
export class State implements FileSource {
  protected constructor(
    readonly out: Output | null,
    readonly settings: Settings,
    /** The call that made this state. */
    readonly node: TraceNode,
  ) {}

  /** The output this state names, or null for scratch. */
  output(): Output | null {
    return this.out;
  }

  /** The empty file system. */
  static scratch(): State {
    return new State(null, EMPTY, SCRATCH_NODE);
  }

  /** A fresh state over an output: default settings, the output's platform if it has one. */
  static fromOutput(out: Output | null, node: TraceNode): State {
    return new State(out, adopt(EMPTY, out), node);
  }

  #with(patch: Partial<Settings>, node: TraceNode): State {
    return new State(this.out, { ...this.settings, ...patch }, node);
  }

  #trace(kind: string, fields: Record<string, unknown>): TraceNode {
    return new TraceNode(kind, { state: this.node, ...fields });
  }

  /**
   * These settings over another output (taking its platform, if any), made by
   * the call `node` records. For op types built outside this module.
   */
  withOutput(out: Output | null, node: TraceNode): State {
    return new State(out, adopt(this.settings, out), node);
  }

  /** Sets (or replaces) an environment variable; a replaced one moves to the end. */
  addEnv(key: string, value: string): State {
    const env = this.settings.env.filter(([k]) => k !== key);
    return this.#with({ env: [...env, [key, value]] }, this.#trace("env", { key, value }));
  }

  /** The value of an environment variable. */
  getEnv(key: string): string | undefined {
    return this.settings.env.find(([k]) => k === key)?.[1];
  }

  /** The environment as KEY=VALUE, in the order execs see it. */
  env(): string[] {
    return this.settings.env.map(([k, v]) => `${k}=${v}`);
  }

  /** Changes the working directory: an absolute path as given, a relative one joined and cleaned. */
  dir(path: string): State {
    const dir = isAbs(path) ? path : join(this.settings.dir || "/", path);
    return this.#with({ dir }, this.#trace("dir", { path }));
  }

  /** The working directory. */
  getDir(): string {
    return this.settings.dir;
  }

  /** The user execs run as (`name`, `uid`, `user:group`). */
  user(name: string): State {
    return this.#with({ user: name }, this.#trace("user", { name }));
  }
  /** The platform execs run on (normalized: `arm64/v8` is `arm64`). */
  platform(p: Platform): State {
    return this.#with({ platform: normalizePlatform(p) }, this.#trace("platform", { platform: p }));
  }
  /** The platform set on this state, if any. */
  getPlatform(): Platform | undefined {
    return this.settings.platform;
  }
  /** The network execs get. */
  network(mode: NetworkMode): State {
    return this.#with({ network: mode }, this.#trace("network", { mode }));
  }
  /** The security mode execs run in. */
  security(mode: SecurityMode): State {
    return this.#with({ security: mode }, this.#trace("security", { mode }));
  }
  /** The hostname execs see. */
  hostname(name: string): State {
    return this.#with({ hostname: name }, this.#trace("hostname", { name }));
  }
  /** Adds a line to execs' /etc/hosts (the IP written in Go's canonical form). */
  addExtraHost(host: string, ip: string): State {
    const extraHosts = [...this.settings.extraHosts, { host, ip: canonicalIP(ip) }];
    return this.#with({ extraHosts }, this.#trace("extraHost", { host, ip }));
  }
  /** Adds a resource limit for execs (`nofile`, `nproc`, ...). */
  addUlimit(name: string, soft: number, hard: number): State {
    const ulimits = [...this.settings.ulimits, { name, soft, hard }];
    return this.#with({ ulimits }, this.#trace("ulimit", { name, soft, hard }));
  }
  /** The parent cgroup of execs. */
  cgroupParent(path: string): State {
    return this.#with({ cgroupParent: path }, this.#trace("cgroupParent", { path }));
  }

  /** Runs a command on this state; the result's root is the changed file system. */
  run(opts: RunOptions): ExecState {
    const args = opts.args ??
      (opts.shell !== undefined ? ["/bin/sh", "-c", opts.shell] : undefined);
    if (!args?.length) throw new Error("run needs args or a shell line");
    const [base, settingSteps] = this.#execBase(opts);
    const s = base.settings;
    const mounts = (opts.mounts ?? []).flatMap((m) => toMount(m));
    const secrets = [
      ...(opts.mounts ?? []).flatMap((m) =>
        m.type === "secret" ? [{ ...m, id: m.id ?? m.target }] : []
      ),
      ...(opts.secretEnv ?? []).map((e) => ({
        id: e.id ?? e.name,
        env: e.name,
        optional: e.optional,
      })),
    ];
    const ssh = (opts.mounts ?? []).flatMap((m) => m.type === "ssh" ? [m] : []);
    const op = new ExecOp({
      args,
      env: s.env,
      cwd: s.dir,
      user: s.user,
      hostname: s.hostname,
      cgroupParent: s.cgroupParent,
      extraHosts: s.extraHosts,
      ulimits: s.ulimits,
      validExitCodes: opts.validExitCodes,
      network: s.network,
      security: s.security,
      proxyEnv: opts.proxyEnv,
      readonlyRootfs: opts.readonlyRootfs,
      root: this.out,
      mounts,
      secrets,
      ssh,
      cdiDevices: opts.cdiDevices,
      platform: opts.platform ?? s.platform,
    }, opts);
    const node = this.#trace("run", { args, with: settingSteps, opts: traceRunOptions(opts) });
    return new ExecState(op, this, node);
  }

  /**
   * The state an exec runs with: this one plus the run's own settings,
   * applied in a fixed order (env by key, cwd, user, hostname, network,
   * security, extra hosts, ulimits, cgroup parent), and those steps as traced.
   */
  #execBase(opts: RunOptions): [State, TraceNode[]] {
    const steps: TraceNode[] = [];
    let st = this as State;
    const step = (next: State) => {
      steps.push(next.node);
      st = next;
    };
    for (const key of Object.keys(opts.env ?? {}).sort()) step(st.addEnv(key, opts.env![key]));
    if (opts.cwd !== undefined) step(st.dir(opts.cwd));
    if (opts.user !== undefined) step(st.user(opts.user));
    if (opts.hostname !== undefined) step(st.hostname(opts.hostname));
    if (opts.network !== undefined) step(st.network(opts.network));
    if (opts.security !== undefined) step(st.security(opts.security));
    for (const h of opts.extraHosts ?? []) step(st.addExtraHost(h.host, h.ip));
    for (const u of opts.ulimits ?? []) step(st.addUlimit(u.name, u.soft, u.hard));
    if (opts.cgroupParent !== undefined) step(st.cgroupParent(opts.cgroupParent));
    return [st, steps];
  }

  /** Applies a chain of file actions as one op. */
  file(action: FileAction, opts: OpOptions = {}): State {
    const op = new FileOp(this, action, opts);
    const node = this.#trace("file", { actions: action.list(), opts });
    return this.withOutput({ vertex: op, index: 0 }, node);
  }

  /** Copies `src` of `from` to `dest` here. */
  copy(from: FileSource, src: string, dest: string, opts: CopyOptions & OpOptions = {}): State {
    return this.file(FileAction.of({ kind: "copy", from, src, dest, opts }), opOptionsOf(opts));
  }
  /** Makes a directory. */
  mkdir(path: string, mode: number, opts: MkdirOptions & OpOptions = {}): State {
    return this.file(FileAction.of({ kind: "mkdir", path, mode, opts }), opOptionsOf(opts));
  }
  /** Writes a file. */
  mkfile(
    path: string,
    mode: number,
    data: Uint8Array | string,
    opts: CreateOptions & OpOptions = {},
  ): State {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const action = FileAction.of({ kind: "mkfile", path, mode, data: bytes, opts });
    return this.file(action, opOptionsOf(opts));
  }
  /** Removes a path. */
  rm(path: string, opts: RmOptions & OpOptions = {}): State {
    return this.file(FileAction.of({ kind: "rm", path, opts }), opOptionsOf(opts));
  }
  /** Makes a symlink at `newpath` pointing to `oldpath`. */
  symlink(oldpath: string, newpath: string, opts: CreateOptions & OpOptions = {}): State {
    return this.file(FileAction.of({ kind: "symlink", oldpath, newpath, opts }), opOptionsOf(opts));
  }

  /** This file system, solved only once `deps` are (a passthrough op); itself when none. */
  requires(id: string, deps: State[]): State {
    if (deps.length === 0) return this;
    const sources = [this, ...deps].map((s) => s.out).filter((o): o is Output => o !== null);
    const outputs = this.out ? [0] : [];
    const op = new PassthroughOp(id, sources, outputs);
    const node = this.#trace("requires", { id, deps: deps.map((d) => d.node) });
    return this.withOutput({ vertex: op, index: 0 }, node);
  }
}

const OP_OPTION_KEYS = [
  "customName",
  "description",
  "progressGroup",
  "ignoreCache",
  "exportCache",
  "platform",
  "requires",
  "linuxResources",
] as const;

/** The op options among a shortcut's options (the rest belong to the action). */
function opOptionsOf(o: OpOptions): OpOptions {
  const out: Record<string, unknown> = {};
  for (const k of OP_OPTION_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out as OpOptions;
}

/** The settings with the output's platform, normalized, when it carries one. */
function adopt(settings: Settings, out: Output | null): Settings {
  if (!out?.platform) return settings;
  return { ...settings, platform: normalizePlatform(out.platform) };
}

function toMount(m: MountSpec): Mount[] {
  switch (m.type) {
    case "bind":
      return [{
        target: m.target,
        source: m.source.output(),
        selector: m.selector,
        readonly: m.readonly,
        noOutput: m.noOutput,
        contentCache: m.contentCache,
      }];
    case "cache":
      return [{
        target: m.target,
        source: m.source?.output() ?? null,
        selector: m.selector,
        readonly: m.readonly,
        contentCache: m.contentCache,
        cache: { id: m.id, sharing: m.sharing },
      }];
    case "tmpfs":
      return [{ target: m.target, source: null, tmpfs: { size: m.size } }];
    default:
      return [];
  }
}

/** The run options as the trace keeps them: states replaced by their nodes. */
function traceRunOptions(opts: RunOptions): Record<string, unknown> {
  const { args: _a, shell: _s, env: _e, cwd: _c, user: _u, hostname: _h, network: _n, ...rest } =
    opts;
  const { security: _sec, extraHosts: _x, ulimits: _l, cgroupParent: _p, ...kept } = rest;
  const mounts = opts.mounts?.map((m) =>
    "source" in m && m.source ? { ...m, source: m.source.node } : m
  );
  return { ...kept, mounts };
}

/** The result of {@link State.run}: its root, and its writable mounts by target. */
export class ExecState extends State {
  constructor(readonly exec: ExecOp, readonly base: State, readonly runNode: TraceNode) {
    const root = exec.outputOf("/");
    super(root, adopt(base.settings, root), new TraceNode("root", { run: runNode }));
  }

  /** The changed root file system (this state itself, as a plain State). */
  root(): State {
    return this;
  }

  /**
   * The file system of a mount after the command ran, as a fresh state (no
   * settings carried over). A read-only mount gives its source back.
   */
  getMount(target: string): State {
    return State.fromOutput(
      this.exec.outputOf(target),
      new TraceNode("mount", { run: this.runNode, target }),
    );
  }
}

/** The empty file system. */
export const scratch = (): State => State.scratch();
/** A container image. */
export const image = (ref: string, opts: ImageOptions = {}): State =>
  State.fromOutput(imageSource(ref, opts).output(), new TraceNode("image", { ref, opts }));
/** A client directory sent through the session. */
export const local = (name: string, opts: LocalOptions = {}): State =>
  State.fromOutput(localSource(name, opts).output(), new TraceNode("local", { name, opts }));
/** A git repository; `fragment` is `ref` or `ref:subdir`. */
export const git = (remote: string, fragment = "", opts: GitOptions = {}): State =>
  State.fromOutput(
    gitSource(remote, fragment, opts).output(),
    new TraceNode("git", { remote, fragment, opts }),
  );
/** A file downloaded over http(s). */
export const http = (url: string, opts: HttpOptions = {}): State =>
  State.fromOutput(httpSource(url, opts).output(), new TraceNode("http", { url, opts }));
/** An image from an OCI layout. */
export const ociLayout = (ref: string, opts: OciLayoutOptions = {}): State =>
  State.fromOutput(ociLayoutSource(ref, opts).output(), new TraceNode("ociLayout", { ref, opts }));

/**
 * Stacks states, later ones on top. Scratch inputs are dropped; none left is
 * scratch, one left is that state. The result keeps the first state's settings.
 */
export function merge(states: State[], opts: OpOptions = {}): State {
  const kept = states.filter((s) => s.output() !== null);
  if (kept.length === 0) return State.scratch();
  if (kept.length === 1) return kept[0];
  const op = new MergeOp(kept.map((s) => s.output()!), opts);
  const node = new TraceNode("merge", { states: states.map((s) => s.node), opts });
  return kept[0].withOutput({ vertex: op, index: 0 }, node);
}

/** The difference from `lower` to `upper`; `upper` itself when `lower` is scratch. */
export function diff(lower: State, upper: State, opts: OpOptions = {}): State {
  if (lower.output() === null) return upper.output() === null ? State.scratch() : upper;
  const op = new DiffOp(lower.output(), upper.output(), opts);
  const node = new TraceNode("diff", { lower: lower.node, upper: upper.node, opts });
  return lower.withOutput({ vertex: op, index: 0 }, node);
}
