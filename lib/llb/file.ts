/**
 * File ops: chains of copy, mkdir, mkfile, rm and symlink actions run as one
 * vertex. Each action works on the previous action's result; the first one
 * works on the state the chain is applied to.
 */
import { posix } from "node:path";
import { compareBytes } from "./encode.ts";
import { finishOp, inputMessage, MarshalCache } from "./op.ts";
import type { Constraints, MarshalledOp, OpOptions, Output, Vertex } from "./types.ts";

/** A file system to copy from: its output (null for scratch) and working dir. */
export interface CopySource {
  output(): Output | null;
  getDir(): string;
}

/** A user or group, by id or by name. */
export type Owner = number | string;

/** Ownership of created files. */
export interface ChownOption {
  user?: Owner;
  group?: Owner;
}

/** Options every creating action shares. */
export interface CreateOptions {
  chown?: ChownOption;
  /** Creation time in seconds since the epoch (default: BuildKit's own). */
  createdTime?: number;
}

/** Every option of BuildKit's CopyInfo. */
export interface CopyOptions extends CreateOptions {
  mode?: number;
  followSymlinks?: boolean;
  copyDirContentsOnly?: boolean;
  attemptUnpack?: boolean;
  createDestPath?: boolean;
  allowWildcard?: boolean;
  allowEmptyWildcard?: boolean;
  includePatterns?: string[];
  excludePatterns?: string[];
  alwaysReplaceExistingDestPaths?: boolean;
}

/** Options of mkdir. */
export interface MkdirOptions extends CreateOptions {
  parents?: boolean;
}

/** Options of rm. */
export interface RmOptions {
  allowNotFound?: boolean;
  allowWildcard?: boolean;
}

type ActionSpec =
  | { kind: "copy"; from: CopySource; src: string; dest: string; opts: CopyOptions }
  | { kind: "mkdir"; path: string; mode: number; opts: MkdirOptions }
  | { kind: "mkfile"; path: string; mode: number; data: Uint8Array; opts: CreateOptions }
  | { kind: "rm"; path: string; opts: RmOptions }
  | { kind: "symlink"; oldpath: string; newpath: string; opts: CreateOptions };

/** An immutable chain of file actions; each method appends one. */
export class FileAction {
  private constructor(readonly spec: ActionSpec, readonly prev?: FileAction) {}

  /** Starts a chain with one action. */
  static of(spec: ActionSpec): FileAction {
    return new FileAction(spec);
  }

  /** The actions, first to last. */
  list(): ActionSpec[] {
    return [...(this.prev?.list() ?? []), this.spec];
  }

  copy(from: CopySource, src: string, dest: string, opts: CopyOptions = {}): FileAction {
    return new FileAction({ kind: "copy", from, src, dest, opts }, this);
  }
  mkdir(path: string, mode: number, opts: MkdirOptions = {}): FileAction {
    return new FileAction({ kind: "mkdir", path, mode, opts }, this);
  }
  mkfile(
    path: string,
    mode: number,
    data: Uint8Array | string,
    opts: CreateOptions = {},
  ): FileAction {
    return new FileAction({ kind: "mkfile", path, mode, data: bytesOf(data), opts }, this);
  }
  rm(path: string, opts: RmOptions = {}): FileAction {
    return new FileAction({ kind: "rm", path, opts }, this);
  }
  symlink(oldpath: string, newpath: string, opts: CreateOptions = {}): FileAction {
    return new FileAction({ kind: "symlink", oldpath, newpath, opts }, this);
  }
}

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? new TextEncoder().encode(data) : data;
}

/** A copy action starting a chain. */
export const copy = (from: CopySource, src: string, dest: string, opts: CopyOptions = {}) =>
  FileAction.of({ kind: "copy", from, src, dest, opts });
/** A mkdir action starting a chain. */
export const mkdir = (path: string, mode: number, opts: MkdirOptions = {}) =>
  FileAction.of({ kind: "mkdir", path, mode, opts });
/** A mkfile action starting a chain. */
export const mkfile = (
  path: string,
  mode: number,
  data: Uint8Array | string,
  opts: CreateOptions = {},
) => FileAction.of({ kind: "mkfile", path, mode, data: bytesOf(data), opts });
/** An rm action starting a chain. */
export const rm = (path: string, opts: RmOptions = {}) => FileAction.of({ kind: "rm", path, opts });
/** A symlink action starting a chain. */
export const symlink = (oldpath: string, newpath: string, opts: CreateOptions = {}) =>
  FileAction.of({ kind: "symlink", oldpath, newpath, opts });

/** Resolves `p` against `parent` as BuildKit's client does, keeping a trailing slash if asked. */
export function normalizePath(parent: string, p: string, keepSlash: boolean): string {
  let out = posix.normalize(p);
  if (out !== "/" && out.endsWith("/")) out = out.slice(0, -1);
  if (!posix.isAbsolute(out)) out = posix.join("/", parent, out);
  if (keepSlash) {
    if (p.endsWith("/") && !out.endsWith("/")) out += "/";
    else if (p.endsWith("/.")) out = (out === "/" ? out : out + "/") + ".";
  }
  return out;
}

function ownerMessage(o: Owner): Record<string, unknown> {
  return typeof o === "number" ? { byID: o } : { byName: { name: o } };
}

function chownMessage(c?: ChownOption): Record<string, unknown> | undefined {
  if (!c) return undefined;
  return {
    user: c.user === undefined ? undefined : ownerMessage(c.user),
    group: c.group === undefined ? undefined : ownerMessage(c.group),
  };
}

function timestampOf(o: CreateOptions): number {
  return o.createdTime === undefined ? -1 : o.createdTime * 1e9;
}

/** The vertex of a file action chain applied to a base file system. */
export class FileOp implements Vertex {
  readonly #cache = new MarshalCache();

  constructor(
    readonly base: CopySource,
    readonly action: FileAction,
    readonly opts: OpOptions = {},
  ) {}

  inputs(): Output[] {
    const outs: Output[] = [];
    const baseOut = this.base.output();
    if (baseOut) outs.push(baseOut);
    for (const a of this.action.list()) {
      const o = a.kind === "copy" ? a.from.output() : null;
      if (o) outs.push(o);
    }
    return outs;
  }

  marshal(c: Constraints): MarshalledOp {
    return this.#cache.get(c, () => this.#marshal(c));
  }

  #marshal(c: Constraints): MarshalledOp {
    const inputs: Record<string, unknown>[] = [];
    const addInput = (o: Output | null): number => {
      if (!o) return -1;
      const msg = inputMessage(o, c);
      const at = inputs.findIndex((i) => i.digest === msg.digest && i.index === msg.index);
      if (at >= 0) return at;
      inputs.push(msg);
      return inputs.length - 1;
    };
    const actions = this.action.list();
    const parent = this.base.getDir();
    const caps = new Set(["file.base"]);
    // Indexes >= inputs.length name earlier actions' results; resolved below.
    const raw = actions.map((a, i) => {
      const input = i === 0 ? addInput(this.base.output()) : { relative: i - 1 };
      const secondary = a.kind === "copy" ? addInput(a.from.output()) : -1;
      return { input, secondary, action: this.#actionMessage(a, parent, caps) };
    });
    const pbActions = raw.map((r, i) => ({
      input: typeof r.input === "number" ? r.input : inputs.length + r.input.relative,
      secondaryInput: r.secondary,
      output: i === raw.length - 1 ? 0 : -1,
      ...r.action,
    }));
    return finishOp(
      { inputs, file: { actions: pbActions } },
      this.opts,
      [...caps].sort(compareBytes),
      c,
    );
  }

  #actionMessage(a: ActionSpec, parent: string, caps: Set<string>): Record<string, unknown> {
    switch (a.kind) {
      case "copy": {
        const o = a.opts;
        if (o.includePatterns?.length || o.excludePatterns?.length) {
          caps.add("file.copy.includeexcludepatterns");
        }
        if (o.alwaysReplaceExistingDestPaths) {
          caps.add("file.copy.alwaysreplaceexistingdestpaths");
        }
        let src = posix.normalize(a.src);
        if (src !== "/" && src.endsWith("/")) src = src.slice(0, -1);
        if (!posix.isAbsolute(src)) src = posix.join("/", a.from.getDir(), src);
        return {
          copy: {
            src,
            dest: normalizePath(parent, a.dest, true),
            owner: chownMessage(o.chown),
            mode: o.mode ?? -1,
            followSymlink: o.followSymlinks,
            dirCopyContents: o.copyDirContentsOnly,
            attemptUnpackDockerCompatibility: o.attemptUnpack,
            createDestPath: o.createDestPath,
            allowWildcard: o.allowWildcard,
            allowEmptyWildcard: o.allowEmptyWildcard,
            timestamp: timestampOf(o),
            include_patterns: o.includePatterns,
            exclude_patterns: o.excludePatterns,
            alwaysReplaceExistingDestPaths: o.alwaysReplaceExistingDestPaths,
          },
        };
      }
      case "mkdir":
        return {
          mkdir: {
            path: normalizePath(parent, a.path, false),
            mode: a.mode,
            makeParents: a.opts.parents,
            owner: chownMessage(a.opts.chown),
            timestamp: timestampOf(a.opts),
          },
        };
      case "mkfile":
        return {
          mkfile: {
            path: normalizePath(parent, a.path, false),
            mode: a.mode,
            data: a.data,
            owner: chownMessage(a.opts.chown),
            timestamp: timestampOf(a.opts),
          },
        };
      case "rm":
        return {
          rm: {
            path: normalizePath(parent, a.path, false),
            allowNotFound: a.opts.allowNotFound,
            allowWildcard: a.opts.allowWildcard,
          },
        };
      case "symlink":
        caps.add("file.symlink.create");
        return {
          symlink: {
            oldpath: a.oldpath,
            newpath: normalizePath(parent, a.newpath, false),
            owner: chownMessage(a.opts.chown),
            timestamp: timestampOf(a.opts),
          },
        };
    }
  }
}
