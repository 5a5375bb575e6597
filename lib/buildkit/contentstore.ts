/**
 * OCI layouts served to the daemon on the session (containerd's content
 * service, as buildctl's `--oci-layout NAME=DIR` and `--export-cache
 * type=local` do): an `oci-layout` source or a cache import reads its
 * manifest, config and layers from `DIR/blobs/ALG/HEX`; a cache export
 * writes them there.
 */
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { type ServerCall, Status } from "./grpcserver.ts";
import { type } from "./proto.ts";
import { writeHandler } from "./contentwrite.ts";

const infoRequest = type("containerd.services.content.v1.InfoRequest");
const infoResponse = type("containerd.services.content.v1.InfoResponse");
const readRequest = type("containerd.services.content.v1.ReadContentRequest");
const readResponse = type("containerd.services.content.v1.ReadContentResponse");

/** The metadata key naming the store a call is for (BuildKit's session/content). */
export const STORE_ID = "buildkit-attachable-store-id";
/** Bytes per Read response. */
const CHUNK = 1 << 20;

/**
 * Handlers for the content service, serving `stores`: OCI layout directories
 * by store id, as the daemon names them (`oci:NAME` for an `oci-layout`
 * source, `local:DIR` for a local cache). Only the ids in `writable` take writes.
 */
export function contentHandlers(
  stores: Record<string, string>,
  writable: ReadonlySet<string> = new Set(),
): [string, (call: ServerCall) => void][] {
  /** The blob file a call asks for, or a failed call. */
  const blob = (call: ServerCall, digest: string): string | undefined => {
    const dir = storeDir(call, stores);
    if (!dir) return;
    const path = blobPath(dir, digest);
    if (!path) return void call.fail(Status.INVALID_ARGUMENT, `invalid digest ${digest}`);
    return path;
  };
  const request = async <T>(call: ServerCall, t: typeof infoRequest): Promise<T> => {
    let req = {} as T;
    for await (const b of call) req = t.toObject(t.decode(b), { longs: Number }) as T;
    return req;
  };
  return [
    ["/containerd.services.content.v1.Content/Info", async (call) => {
      const { digest = "" } = await request<{ digest?: string }>(call, infoRequest);
      const file = blob(call, digest);
      if (!file) return;
      try {
        const size = (await Deno.stat(file)).size;
        await call.send(infoResponse.encode({ info: { digest, size } }).finish());
        call.end();
      } catch {
        call.fail(Status.NOT_FOUND, `content ${digest}: not found`);
      }
    }],
    ["/containerd.services.content.v1.Content/Read", async (call) => {
      const req = await request<{ digest?: string; offset?: number; size?: number }>(
        call,
        readRequest,
      );
      const file = blob(call, req.digest ?? "");
      if (!file) return;
      let f: Deno.FsFile;
      try {
        f = await Deno.open(file);
      } catch {
        return call.fail(Status.NOT_FOUND, `content ${req.digest}: not found`);
      }
      try {
        let offset = req.offset ?? 0;
        const end = req.size ? offset + req.size : (await f.stat()).size;
        await f.seek(offset, Deno.SeekMode.Start);
        const buf = new Uint8Array(CHUNK);
        while (offset < end) {
          const n = await f.read(buf.subarray(0, Math.min(CHUNK, end - offset)));
          if (n === null) break;
          const data = Buffer.from(buf.subarray(0, n));
          await call.send(readResponse.encode({ offset, data }).finish());
          offset += n;
        }
        call.end();
      } catch (err) {
        call.fail(Status.UNKNOWN, `reading ${req.digest}: ${(err as Error).message}`);
      } finally {
        f.close();
      }
    }],
    ["/containerd.services.content.v1.Content/Write", (call) => {
      const id = call.metadata.get(STORE_ID)?.[0] ?? "";
      if (!writable.has(id)) {
        return call.fail(Status.FAILED_PRECONDITION, `store ${id} is read-only`);
      }
      const dir = storeDir(call, stores);
      if (dir) writeHandler(call, dir);
    }],
  ];
}

/** The directory of the store a call names, or a failed call. */
function storeDir(call: ServerCall, stores: Record<string, string>): string | undefined {
  const id = call.metadata.get(STORE_ID)?.[0] ?? "";
  const dir = stores[id];
  if (!dir) call.fail(Status.NOT_FOUND, `unknown store ${id}`);
  return dir;
}

/** `DIR/blobs/ALG/HEX` for a digest, or undefined for one that is not a digest. */
export function blobPath(dir: string, digest: string): string | undefined {
  const m = /^(sha256|sha384|sha512):([a-f0-9]+)$/.exec(digest);
  return m ? join(dir, "blobs", m[1], m[2]) : undefined;
}
