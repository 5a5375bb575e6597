/**
 * `--progress rawjson` lines as buildctl and buildx print them: each status
 * message as Go's encoding/json writes BuildKit's client.SolveStatus (its
 * field names and order, times in RFC 3339 with nanoseconds, bytes in
 * base64, empty fields left out), so tools reading buildctl's stream can
 * read ours.
 */
import { Buffer } from "node:buffer";

/** A protobuf Timestamp as the plain object the Control client decodes. */
export interface Timestamp {
  seconds?: number;
  nanos?: number;
}

/** A StatusResponse as the Control client decodes it (protobuf field names). */
export interface StatusResponse {
  vertexes?: {
    digest: string;
    inputs?: string[];
    name?: string;
    cached?: boolean;
    started?: Timestamp;
    completed?: Timestamp;
    error?: string;
    progressGroup?: { id?: string; name?: string; weak?: boolean };
  }[];
  statuses?: {
    ID?: string;
    vertex?: string;
    name?: string;
    current?: number;
    total?: number;
    timestamp?: Timestamp;
    started?: Timestamp;
    completed?: Timestamp;
  }[];
  logs?: { vertex: string; stream?: number; msg?: Uint8Array; timestamp?: Timestamp }[];
  warnings?: {
    vertex?: string;
    level?: number;
    short?: Uint8Array;
    detail?: Uint8Array[];
    url?: string;
  }[];
}

/** Go's time.Time in JSON (RFC3339Nano); a missing time is Go's zero time. */
export function goTime(t: Timestamp | undefined): string {
  if (!t) return "0001-01-01T00:00:00Z";
  const day = new Date((t.seconds ?? 0) * 1000).toISOString().slice(0, 19);
  const frac = String(t.nanos ?? 0).padStart(9, "0").replace(/0+$/, "");
  return frac ? `${day}.${frac}Z` : `${day}Z`;
}

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");

/** An object without its undefined, empty-string, false, zero and empty-array fields. */
function omitEmpty(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === "" || v === false || v === 0) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

/** One status message as buildctl's rawjson line holds it (without the newline). */
export function solveStatusJson(msg: StatusResponse): string {
  const vertexes = (msg.vertexes ?? []).map((v) =>
    omitEmpty({
      digest: v.digest,
      inputs: v.inputs,
      name: v.name,
      started: v.started && goTime(v.started),
      completed: v.completed && goTime(v.completed),
      cached: v.cached,
      error: v.error,
      progressGroup: v.progressGroup && omitEmpty(v.progressGroup),
    })
  );
  const statuses = (msg.statuses ?? []).map((s) => ({
    id: s.ID ?? "",
    ...omitEmpty({ vertex: s.vertex, name: s.name, total: s.total }),
    current: s.current ?? 0,
    timestamp: goTime(s.timestamp),
    ...omitEmpty({
      started: s.started && goTime(s.started),
      completed: s.completed && goTime(s.completed),
    }),
  }));
  const logs = (msg.logs ?? []).map((l) => ({
    ...omitEmpty({ vertex: l.vertex, stream: l.stream, data: l.msg?.length ? b64(l.msg) : "" }),
    timestamp: goTime(l.timestamp),
  }));
  const warnings = (msg.warnings ?? []).map((w) =>
    omitEmpty({
      vertex: w.vertex,
      level: w.level,
      short: w.short?.length ? b64(w.short) : "",
      detail: w.detail?.map(b64),
      url: w.url,
    })
  );
  return JSON.stringify(omitEmpty({ vertexes, statuses, logs, warnings }));
}
