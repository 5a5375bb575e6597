/**
 * The State API: an immutable value naming a file system (an op output or
 * scratch) plus the settings later execs inherit (env, dir, user, platform,
 * network, security, hostname, extra hosts). Every method returns a new state.
 */
import { posix } from "node:path";
import { ExecOp, type Mount, type NetworkMode, type SecurityMode } from "./exec.ts";
import { type CopyOptions, type CopySource, FileAction, FileOp } from "./file.ts";
import type { CreateOptions, MkdirOptions, RmOptions } from "./file.ts";
import { DiffOp, MergeOp } from "./merge.ts";
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
import type { OpOptions, Output, Platform } from "./types.ts";

interface Settings {
  env: readonly (readonly [string, string])[];
  dir: string;
  user?: string;
  platform?: Platform;
  network?: NetworkMode;
  security?: SecurityMode;
  hostname?: string;
  extraHosts: readonly { host: string; ip: string }[];
}

const EMPTY: Settings = { env: [], dir: "/", extraHosts: [] };

/** Options of {@link State.run}. */
export interface RunOptions extends OpOptions {
  /** The argv to run. */
  args?: string[];
  /** A shell line, run as `/bin/sh -c LINE`. */
  shell?: string;
  /** Extra environment for this exec only (applied in key order). */
  env?: Record<string, string>;
  cwd?: string;
  user?: string;
  network?: NetworkMode;
  security?: SecurityMode;
  hostname?: string;
  validExitCodes?: number[];
  /** Other mounts; bind and cache sources are states. */
  mounts?: MountSpec[];
  /** Secrets exposed as environment variables. */
  secretEnv?: { id: string; name: string; optional?: boolean }[];
}

/** A mount as given to {@link State.run}: like {@link Mount} with states for sources. */
export type MountSpec =
  | { type: "bind"; target: string; source: State; selector?: string; readonly?: boolean }
  | {
    type: "cache";
    target: string;
    id: string;
    sharing?: "shared" | "private" | "locked";
    source?: State;
    selector?: string;
  }
  | Extract<Mount, { type: "tmpfs" | "secret" | "ssh" }>;

/** A file system and the settings execs on it inherit. */
export class State implements CopySource {
  protected constructor(readonly out: Output | null, readonly settings: Settings) {}

  /** The output this state names, or null for scratch. */
  output(): Output | null {
    return this.out;
  }

  /** The empty file system. */
  static scratch(): State {
    return new State(null, EMPTY);
  }

  /** A state over a vertex output (for op types built outside this module). */
  static fromOutput(out: Output | null, settings: Partial<Settings> = {}): State {
    return new State(out, { ...EMPTY, ...settings });
  }

  #with(patch: Partial<Settings>): State {
    return new State(this.out, { ...this.settings, ...patch });
  }

  /** The same settings over another output. */
  protected withOutput(out: Output | null): State {
    return new State(out, this.settings);
  }

  /** Sets (or replaces) an environment variable. */
  addEnv(key: string, value: string): State {
    const env = this.settings.env.filter(([k]) => k !== key);
    return this.#with({ env: [...env, [key, value]] });
  }

  /** The value of an environment variable. */
  getEnv(key: string): string | undefined {
    return this.settings.env.find(([k]) => k === key)?.[1];
  }

  /** The environment as KEY=VALUE, in the order it was set. */
  env(): string[] {
    return this.settings.env.map(([k, v]) => `${k}=${v}`);
  }

  /** Changes the working directory; relative paths resolve against the current one. */
  dir(path: string): State {
    return this.#with({ dir: posix.resolve(this.settings.dir, path) });
  }

  /** The working directory. */
  getDir(): string {
    return this.settings.dir;
  }

  user(name: string): State {
    return this.#with({ user: name });
  }
  platform(p: Platform): State {
    return this.#with({ platform: p });
  }
  network(mode: NetworkMode): State {
    return this.#with({ network: mode });
  }
  security(mode: SecurityMode): State {
    return this.#with({ security: mode });
  }
  hostname(name: string): State {
    return this.#with({ hostname: name });
  }
  addExtraHost(host: string, ip: string): State {
    return this.#with({ extraHosts: [...this.settings.extraHosts, { host, ip }] });
  }

  /** Runs a command on this state; the result's root is the changed file system. */
  run(opts: RunOptions): ExecState {
    const args = opts.args ??
      (opts.shell !== undefined ? ["/bin/sh", "-c", opts.shell] : undefined);
    if (!args?.length) throw new Error("run needs args or a shell line");
    const withEnv = Object.keys(opts.env ?? {}).sort().reduce(
      (st: State, key) => st.addEnv(key, opts.env![key]),
      this,
    );
    const st = opts.cwd ? withEnv.dir(opts.cwd) : withEnv;
    const s = st.settings;
    const op = new ExecOp(
      {
        args,
        env: st.env(),
        cwd: s.dir,
        user: opts.user ?? s.user,
        hostname: opts.hostname ?? s.hostname,
        extraHosts: s.extraHosts.length ? [...s.extraHosts] : undefined,
        validExitCodes: opts.validExitCodes,
        network: opts.network ?? s.network,
        security: opts.security ?? s.security,
        secretEnv: opts.secretEnv,
        root: this.out,
        mounts: (opts.mounts ?? []).map(toMount),
      },
      { ...opts, platform: opts.platform ?? s.platform },
    );
    return new ExecState(op, st.settings);
  }

  /** Applies a chain of file actions as one op. */
  file(action: FileAction, opts: OpOptions = {}): State {
    const op = new FileOp(this, action, {
      ...opts,
      platform: opts.platform ?? this.settings.platform,
    });
    return this.withOutput({ vertex: op, index: 0 });
  }

  /** Copies `src` of `from` to `dest` here. */
  copy(from: CopySource, src: string, dest: string, opts: CopyOptions & OpOptions = {}): State {
    return this.file(FileAction.of({ kind: "copy", from, src, dest, opts }), opts);
  }
  mkdir(path: string, mode: number, opts: MkdirOptions & OpOptions = {}): State {
    return this.file(FileAction.of({ kind: "mkdir", path, mode, opts }), opts);
  }
  mkfile(
    path: string,
    mode: number,
    data: Uint8Array | string,
    opts: CreateOptions & OpOptions = {},
  ): State {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    return this.file(FileAction.of({ kind: "mkfile", path, mode, data: bytes, opts }), opts);
  }
  rm(path: string, opts: RmOptions & OpOptions = {}): State {
    return this.file(FileAction.of({ kind: "rm", path, opts }), opts);
  }
  symlink(oldpath: string, newpath: string, opts: CreateOptions & OpOptions = {}): State {
    return this.file(FileAction.of({ kind: "symlink", oldpath, newpath, opts }), opts);
  }
}

function toMount(m: MountSpec): Mount {
  if (m.type === "bind") return { ...m, source: m.source.output() };
  if (m.type === "cache") return { ...m, source: m.source?.output() ?? null };
  return m;
}

/** The result of {@link State.run}: its root, and its writable mounts by target. */
export class ExecState extends State {
  constructor(readonly exec: ExecOp, settings: Settings) {
    super({ vertex: exec, index: 0 }, settings);
  }

  /** The changed root file system (this state itself, as a plain State). */
  root(): State {
    return this.withOutput({ vertex: this.exec, index: 0 });
  }

  /** The file system of a writable bind mount after the command ran. */
  getMount(target: string): State {
    const index = this.exec.outputIndexOf(target);
    if (index === undefined) throw new Error(`no writable mount at ${target}`);
    return this.withOutput({ vertex: this.exec, index });
  }
}

/** The empty file system. */
export const scratch = (): State => State.scratch();
/** A container image. */
export const image = (ref: string, opts: ImageOptions = {}): State =>
  State.fromOutput({ vertex: imageSource(ref, opts), index: 0 });
/** A client directory sent through the session. */
export const local = (name: string, opts: LocalOptions = {}): State =>
  State.fromOutput({ vertex: localSource(name, opts), index: 0 });
/** A git repository. */
export const git = (remote: string, ref = "", opts: GitOptions = {}): State =>
  State.fromOutput({ vertex: gitSource(remote, ref, opts), index: 0 });
/** A file downloaded over http(s). */
export const http = (url: string, opts: HttpOptions = {}): State =>
  State.fromOutput({ vertex: httpSource(url, opts), index: 0 });
/** An image from an OCI layout. */
export const ociLayout = (ref: string, opts: OciLayoutOptions = {}): State =>
  State.fromOutput({ vertex: ociLayoutSource(ref, opts), index: 0 });

/** Stacks states; scratch inputs are dropped as BuildKit's client does. */
export function merge(states: State[], opts: OpOptions = {}): State {
  const outs = states.map((s) => s.output()).filter((o): o is Output => o !== null);
  if (outs.length === 0) return State.scratch();
  if (outs.length === 1) return State.fromOutput(outs[0]);
  return State.fromOutput({ vertex: new MergeOp(outs, opts), index: 0 });
}

/** The difference from `lower` to `upper`. */
export function diff(lower: State, upper: State, opts: OpOptions = {}): State {
  return State.fromOutput({ vertex: new DiffOp(lower.output(), upper.output(), opts), index: 0 });
}
