/**
 * LLB, BuildKit's build graph: build states with the immutable State API and
 * marshal them into the deterministic `pb.Definition` bytes BuildKit solves,
 * byte for byte what BuildKit v0.32's Go client (client/llb) writes.
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
export type {
  ActionSpec,
  ChownOption,
  CopyOptions,
  CreateOptions,
  FileSource,
  MkdirOptions,
  RmOptions,
} from "./file.ts";
export type {
  CacheSharing,
  ContentCache,
  NetworkMode,
  ProxyEnv,
  SecretMount,
  SecurityMode,
  SshMount,
} from "./exec.ts";
export type {
  GitOptions,
  HttpOptions,
  ImageOptions,
  LocalOptions,
  OciLayoutOptions,
  ResolveMode,
} from "./source.ts";
export { normalizeImageRef, parseImageRef } from "./reference.ts";
export { normalizePlatform } from "./platform.ts";
export { type Definition, marshal, type MarshalOptions } from "./marshal.ts";
export { type DescNode, describe, type Description, fromDescription } from "./describe.ts";
export { decodeDefinition, dumpDefinition, type DumpedOp } from "./dump.ts";
export { digestOf } from "./encode.ts";
