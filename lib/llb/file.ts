/**
 * File ops: chains of copy, mkdir, mkfile, rm and symlink actions run as one
 * vertex. Each action works on the previous action's result; the first works
 * on the state the chain is applied to, whose working directory resolves
 * relative paths. Built as BuildKit's Go client builds them (fileop.go).
 */
import { clean, isAbs, join } from "./gopath.ts";
import { finishOp, InputList, MarshalCache } from "./op.ts";
import type { Constraints, MarshalledOp, OpOptions, Output, Vertex } from "./types.ts";

/** A file system to copy from or act on: its output (null for scratch) and working dir. */
export interface FileSource {
  output(): Output | null;
  getDir(): string;
}

/** A user or group, by id or by name. */
export type Owner = number | string;

/**
 * Ownership of created files: ids or names, or `user[:group]` as Go's
 * `WithUser` reads it (`root` and numbers are ids).
 */
export type ChownOption = { user?: Owner; group?: Owner } | string;

/** Options every creating action shares. */
export interface CreateOptions {
  chown?: ChownOption;
  /** Creation time: a Date, or nanoseconds since the epoch. */
  createdTime?: Date | bigint;
}

/** Every option of BuildKit's CopyInfo. */
export interface CopyOptions extends CreateOptions {
  /** Permission bits, or a chmod-style string such as `u+x` (`file.copy.modestring`). */
  mode?: number | string;
  followSymlinks?: boolean;
  copyDirContentsOnly?: boolean;
  attemptUnpack?: boolean;
  createDestPath?: boolean;
  allowWildcard?: boolean;
  allowEmptyWildcard?: boolean;
  includePatterns?: string[];
  excludePatterns?: string[];
  /** Paths that must exist in the source. */
  requiredPaths?: string[];
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

/** One action of a chain. */
export type ActionSpec =
  | { kind: "copy"; from: FileSource; src: string; dest: string; opts: CopyOptions }
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

  /** This chain with one more action. */
  append(spec: ActionSpec): FileAction {
    return new FileAction(spec, this);
  }

  /** The actions, first to last. */
  list(): ActionSpec[] {
    const out: ActionSpec[] = [];
    for (let a = this as FileAction | undefined; a; a = a.prev) out.push(a.spec);
    return out.reverse();
  }

  /** Appends a copy of `src` in `from` to `dest`. */
  copy(from: FileSource, src: string, dest: string, opts: CopyOptions = {}): FileAction {
    return new FileAction({ kind: "copy", from, src, dest, opts }, this);
  }
  /** Appends a mkdir (mode masked to 0o777 as BuildKit's client does). */
  mkdir(path: string, mode: number, opts: MkdirOptions = {}): FileAction {
    return new FileAction({ kind: "mkdir", path, mode, opts }, this);
  }
  /** Appends the creation of a file with `data`. */
  mkfile(
    path: string,
    mode: number,
    data: Uint8Array | string,
    opts: CreateOptions = {},
  ): FileAction {
    return new FileAction({ kind: "mkfile", path, mode, data: bytesOf(data), opts }, this);
  }
  /** Appends a removal. */
  rm(path: string, opts: RmOptions = {}): FileAction {
    return new FileAction({ kind: "rm", path, opts }, this);
  }
  /** Appends a symlink at `newpath` pointing to `oldpath` (both written as given). */
  symlink(oldpath: string, newpath: string, opts: CreateOptions = {}): FileAction {
    return new FileAction({ kind: "symlink", oldpath, newpath, opts }, this);
  }
}

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? new TextEncoder().encode(data) : data;
}

/** A copy action starting a chain. */
export const copy = (
  from: FileSource,
  src: string,
  dest: string,
  opts: CopyOptions = {},
): FileAction => FileAction.of({ kind: "copy", from, src, dest, opts });
/** A mkdir action starting a chain. */
export const mkdir = (path: string, mode: number, opts: MkdirOptions = {}): FileAction =>
  FileAction.of({ kind: "mkdir", path, mode, opts });
/** A mkfile action starting a chain. */
export const mkfile = (
  path: string,
  mode: number,
  data: Uint8Array | string,
  opts: CreateOptions = {},
): FileAction => FileAction.of({ kind: "mkfile", path, mode, data: bytesOf(data), opts });
/** An rm action starting a chain. */
export const rm = (path: string, opts: RmOptions = {}): FileAction =>
  FileAction.of({ kind: "rm", path, opts });
/** A symlink action starting a chain. */
export const symlink = (oldpath: string, newpath: string, opts: CreateOptions = {}): FileAction =>
  FileAction.of({ kind: "symlink", oldpath, newpath, opts });

/**
 * Resolves `p` against `parent` as BuildKit's client does: cleaned, made
 * absolute, and (for copy destinations) keeping a trailing `/` or `/.`.
 */
export function normalizePath(parent: string, p: string, keepSlash: boolean): string {
  let out = clean(p);
  if (!isAbs(out)) out = join("/", parent, out);
  if (keepSlash) {
    if (p.endsWith("/") && !out.endsWith("/")) out += "/";
    else if (p.endsWith("/.")) out = (out === "/" ? out : `${out}/`) + ".";
  }
  return out;
}

function parseOwner(s: string): Owner {
  if (s === "root") return 0;
  if (/^[+-]?\d+$/.test(s)) {
    const n = Number(s);
    if (n >= -(2 ** 31) && n < 2 ** 31) return n;
  }
  return s;
}

/** The owners a chown option names, `user:group` strings split as Go's `WithUser` does. */
export function ownersOf(c: ChownOption): { user?: Owner; group?: Owner } {
  if (typeof c !== "string") return c;
  const colon = c.indexOf(":");
  if (colon < 0) return { user: parseOwner(c) };
  return { user: parseOwner(c.slice(0, colon)), group: parseOwner(c.slice(colon + 1)) };
}

function ownerMessage(o: Owner | undefined, base: number): Record<string, unknown> | undefined {
  if (o === undefined) return undefined;
  if (typeof o === "number" || o === "") return { byID: typeof o === "number" ? o >>> 0 : 0 };
  return { byName: { name: o, input: base } };
}

function chownMessage(c: ChownOption | undefined, base: number) {
  if (c === undefined) return undefined;
  const { user, group } = ownersOf(c);
  return { user: ownerMessage(user, base), group: ownerMessage(group, base) };
}

/** Nanoseconds since the epoch, -1 when unset; a number when exact, else a decimal string. */
function timestampOf(o: CreateOptions): number | string {
  const t = o.createdTime;
  if (t === undefined) return -1;
  const ns = typeof t === "bigint" ? t : BigInt(t.getTime()) * 1_000_000n;
  return Number.isSafeInteger(Number(ns)) ? Number(ns) : ns.toString();
}

/** The vertex of a file action chain applied to a base file system. */
export class FileOp implements Vertex {
  readonly #cache = new MarshalCache();

  constructor(
    readonly base: FileSource,
    readonly action: FileAction,
    readonly opts: OpOptions = {},
  ) {}

  /** The base, then the copy sources from the last action back, each once (Go's order). */
  inputs(): Output[] {
    const outs: Output[] = [];
    const add = (o: Output | null) => {
      if (o && !outs.some((x) => x.vertex === o.vertex && x.index === o.index)) outs.push(o);
    };
    for (let a: FileAction | undefined = this.action; a; a = a.prev) {
      add(this.base.output());
      if (a.spec.kind === "copy") add(a.spec.from.output());
    }
    return outs;
  }

  marshal(c: Constraints): MarshalledOp {
    return this.#cache.get(c, () => this.#marshal(c));
  }

  #marshal(c: Constraints): MarshalledOp {
    const inputs = new InputList(c);
    const actions = this.action.list();
    const baseOut = this.base.output();
    const parent = this.base.getDir();
    const raw = actions.map((a) => {
      const base = baseOut ? inputs.add(baseOut) : -1;
      const from = a.kind === "copy" ? a.from.output() : null;
      const secondary = from ? inputs.add(from) : -1;
      return { base, secondary, action: actionMessage(a, parent, base) };
    });
    const pbActions = raw.map((r, i) => ({
      // Actions after the first read the previous action's result, numbered after the inputs.
      input: i === 0 ? r.base : inputs.list.length + i - 1,
      secondaryInput: r.secondary,
      output: i === raw.length - 1 ? 0 : -1,
      ...r.action,
    }));
    // Go's client means to add per-action caps (symlink, patterns...) but its loop runs
    // over an empty list, so a file op only ever records file.base.
    return finishOp({ inputs: inputs.list, file: { actions: pbActions } }, this.opts, [
      "file.base",
    ], null);
  }
}

function actionMessage(a: ActionSpec, parent: string, base: number): Record<string, unknown> {
  switch (a.kind) {
    case "copy": {
      const o = a.opts;
      const src = clean(a.src);
      return {
        copy: {
          src: join(isAbs(src) ? "/" : a.from.getDir(), src),
          dest: normalizePath(parent, a.dest, true),
          owner: chownMessage(o.chown, base),
          mode: o.mode === undefined ? -1 : typeof o.mode === "string" ? undefined : o.mode | 0,
          modeStr: typeof o.mode === "string" ? o.mode : undefined,
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
          required_paths: o.requiredPaths,
        },
      };
    }
    case "mkdir":
      return {
        mkdir: {
          path: normalizePath(parent, a.path, false),
          mode: a.mode & 0o777,
          makeParents: a.opts.parents,
          owner: chownMessage(a.opts.chown, base),
          timestamp: timestampOf(a.opts),
        },
      };
    case "mkfile":
      return {
        mkfile: {
          path: normalizePath(parent, a.path, false),
          mode: a.mode & 0o777,
          data: a.data,
          owner: chownMessage(a.opts.chown, base),
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
      return {
        symlink: {
          oldpath: a.oldpath,
          newpath: a.newpath,
          owner: chownMessage(a.opts.chown, base),
          timestamp: timestampOf(a.opts),
        },
      };
  }
}
