/**
 * What every op shares when it is marshalled: the platform and worker
 * constraints, the metadata (custom name, caps), and a per-constraints cache
 * so a vertex reached many times is encoded once.
 */
import { digestOf, encodeOp, type Message } from "./encode.ts";
import type {
  Constraints,
  MarshalledOp,
  OpMetadataValue,
  OpOptions,
  Output,
  Platform,
} from "./types.ts";

/** The platform as a `pb.Platform` object. */
export function platformMessage(p: Platform): Message {
  return {
    Architecture: p.architecture,
    OS: p.os,
    Variant: p.variant,
    OSVersion: p.osVersion,
    OSFeatures: p.osFeatures,
  };
}

/** `pb.Input` for an output, marshalling its vertex for the digest. */
export function inputMessage(o: Output, c: Constraints): { digest: string; index: number } {
  return { digest: o.vertex.marshal(c).digest, index: o.index };
}

/** The inputs of an op being marshalled, each once (Go compares digest and index). */
export class InputList {
  readonly list: { digest: string; index: number }[] = [];

  constructor(readonly c: Constraints) {}

  /** The index of `o` among the inputs, adding it when new. */
  add(o: Output): number {
    const msg = inputMessage(o, this.c);
    const at = this.list.findIndex((i) => i.digest === msg.digest && i.index === msg.index);
    if (at >= 0) return at;
    this.list.push(msg);
    return this.list.length - 1;
  }
}

/**
 * Encodes an op with the parts every op has: `platform` (null for ops that
 * are not platform specific) and the worker constraints; builds its metadata.
 */
export function finishOp(
  op: Message,
  opts: OpOptions,
  caps: Iterable<string>,
  platform: Platform | null,
): MarshalledOp {
  const bytes = encodeOp({
    ...op,
    platform: platform ? platformMessage(platform) : undefined,
    constraints: { filter: opts.requires ?? [] },
  });
  return { digest: digestOf(bytes), bytes, metadata: metadataOf(opts, caps) };
}

function metadataOf(opts: OpOptions, caps: Iterable<string>): OpMetadataValue {
  const description = { ...opts.description };
  if (opts.customName !== undefined) description["llb.customname"] = opts.customName;
  const md: OpMetadataValue = {};
  if (opts.ignoreCache) md.ignore_cache = true;
  if (Object.keys(description).length) md.description = description;
  if (opts.exportCache !== undefined) md.export_cache = { Value: opts.exportCache };
  const capList = [...caps];
  if (capList.length) md.caps = Object.fromEntries(capList.map((cap) => [cap, true]));
  if (opts.progressGroup) md.progress_group = { ...opts.progressGroup };
  if (opts.linuxResources) md.linux_resources = { ...opts.linuxResources };
  return md;
}

/** Remembers marshalled results per constraints (vertices are immutable, so this is safe). */
export class MarshalCache {
  #key = "";
  #hit?: MarshalledOp;
  #others?: Map<string, MarshalledOp>;

  /** Returns the cached result for `c`, computing it once. */
  get(c: Constraints, compute: () => MarshalledOp): MarshalledOp {
    const key = constraintsKey(c);
    if (this.#hit && this.#key === key) return this.#hit;
    const other = this.#others?.get(key);
    if (other) return other;
    const result = compute();
    if (!this.#hit) [this.#key, this.#hit] = [key, result];
    else (this.#others ??= new Map()).set(key, result);
    return result;
  }
}

const keys = new WeakMap<Constraints, string>();

function constraintsKey(c: Constraints): string {
  let key = keys.get(c);
  if (key === undefined) {
    key = JSON.stringify([c.platform, c.localUniqueId]);
    keys.set(c, key);
  }
  return key;
}
