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
  return { Architecture: p.architecture, OS: p.os, Variant: p.variant };
}

/** `pb.Input` for an output, marshalling its vertex for the digest. */
export function inputMessage(o: Output, c: Constraints): Message {
  return { digest: o.vertex.marshal(c).digest, index: o.index };
}

/**
 * Encodes an op with the common parts (platform unless the op is not
 * platform specific, empty worker constraints) and builds its metadata.
 */
export function finishOp(
  op: Message,
  opts: OpOptions,
  caps: string[],
  c: Constraints,
  platformSpecific = true,
): MarshalledOp {
  const full: Message = {
    ...op,
    platform: platformSpecific ? platformMessage(opts.platform ?? c.platform) : undefined,
    constraints: { filter: opts.workerConstraints ?? [] },
  };
  const bytes = encodeOp(full);
  return { digest: digestOf(bytes), bytes, metadata: metadataOf(opts, caps) };
}

function metadataOf(opts: OpOptions, caps: string[]): OpMetadataValue {
  const description = { ...opts.description };
  if (opts.customName) description["llb.customname"] = opts.customName;
  const md: OpMetadataValue = {};
  if (opts.ignoreCache) md.ignore_cache = true;
  if (Object.keys(description).length) md.description = description;
  if (caps.length) md.caps = Object.fromEntries(caps.map((cap) => [cap, true]));
  if (opts.progressGroup) md.progress_group = { ...opts.progressGroup };
  return md;
}

/** Remembers marshalled results per constraints (states are immutable, so this is safe). */
export class MarshalCache {
  #entries = new Map<string, MarshalledOp>();

  /** Returns the cached result for `c`, computing it once. */
  get(c: Constraints, compute: () => MarshalledOp): MarshalledOp {
    const key = `${c.platform.os}/${c.platform.architecture}/${
      c.platform.variant ?? ""
    }/${c.localUniqueId}`;
    let hit = this.#entries.get(key);
    if (!hit) {
      hit = compute();
      this.#entries.set(key, hit);
    }
    return hit;
  }
}
