/**
 * LLB, BuildKit's build graph: build states with the immutable State API and
 * marshal them into the deterministic `pb.Definition` bytes BuildKit solves.
 *
 * ```ts
 * const def = marshal(scratch().mkdir("/out", 0o755, { parents: true }));
 * ```
 */
export * from "./types.ts";
export {
  diff,
  ExecState,
  git,
  http,
  image,
  local,
  merge,
  ociLayout,
  scratch,
  State,
} from "./state.ts";
export type { MountSpec, RunOptions } from "./state.ts";
export { copy, FileAction, mkdir, mkfile, normalizePath, rm, symlink } from "./file.ts";
export type { ChownOption, CopyOptions, CreateOptions, MkdirOptions, RmOptions } from "./file.ts";
export type { CacheSharing, NetworkMode, SecurityMode } from "./exec.ts";
export { normalizeImageRef } from "./source.ts";
export { type Definition, marshal, type MarshalOptions } from "./marshal.ts";
export { decodeDefinition, dumpDefinition, type DumpedOp } from "./dump.ts";
export { digestOf } from "./encode.ts";
