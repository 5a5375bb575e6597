/**
 * containerd's content `Write` as a BuildKit session serves it for a local
 * cache export (`--cache-to type=local,dest=DIR`): the daemon's cache
 * exporter sends each blob over one stream (STAT, then WRITEs, then COMMIT,
 * as containerd's content proxy writer does), and the blob lands in
 * `DIR/blobs/sha256/HEX` once its digest checks out.
 */
import { Buffer } from "node:buffer";
import { createHash, type Hash, randomUUID } from "node:crypto";
import { join } from "node:path";
import { type ServerCall, Status } from "./grpcserver.ts";
import { type } from "./proto.ts";
import { blobPath } from "./contentstore.ts";

const writeRequest = type("containerd.services.content.v1.WriteContentRequest");
const writeResponse = type("containerd.services.content.v1.WriteContentResponse");

/** containerd's WriteAction. */
const STAT = 0, WRITE = 1, COMMIT = 2;

interface WriteRequest {
  action?: number;
  ref?: string;
  total?: number;
  expected?: string;
  offset?: number;
  data?: Uint8Array;
}

/** An ingest in progress: a temporary file under `DIR/ingest` and the running digest. */
interface Ingest {
  file: Deno.FsFile;
  path: string;
  hash: Hash;
  offset: number;
  total: number;
  expected: string;
  startedAt: Date;
  /** The blob's digest once committed. */
  committed?: string;
}

/** Serves one Write stream into the OCI layout at `dir`. */
export function writeHandler(call: ServerCall, dir: string): void {
  serve(call, dir).catch((err) =>
    call.fail(Status.UNKNOWN, `writing to ${dir}: ${(err as Error).message ?? err}`)
  );
}

async function serve(call: ServerCall, dir: string): Promise<void> {
  let ingest: Ingest | undefined;
  let committed = false;
  try {
    for await (const b of call) {
      const req = writeRequest.toObject(writeRequest.decode(b), { longs: Number }) as WriteRequest;
      if (!ingest) {
        // The first message names the blob: one already there is not written again.
        const expected = req.expected ?? "";
        const existing = expected ? blobPath(dir, expected) : undefined;
        if (expected && !existing) {
          return call.fail(Status.INVALID_ARGUMENT, `invalid digest ${expected}`);
        }
        if (existing && await exists(existing)) {
          return call.fail(Status.ALREADY_EXISTS, `content ${expected}: already exists`);
        }
        ingest = await open(dir, req.total ?? 0, expected);
      } else if (req.total) ingest.total = req.total;
      const action = req.action ?? STAT;
      if (action === WRITE || action === COMMIT) {
        const offset = req.offset ?? 0;
        if (offset > 0 && offset !== ingest.offset) {
          return call.fail(
            Status.OUT_OF_RANGE,
            `write @${offset} must occur at current offset ${ingest.offset}`,
          );
        }
        if (offset === 0 && ingest.offset > 0) await restart(ingest);
        if (req.data?.length) await write(ingest, req.data);
        if (action === COMMIT) {
          const failure = await commit(ingest, dir, req.total ?? 0, req.expected ?? "");
          if (failure) return call.fail(Status.FAILED_PRECONDITION, failure);
          committed = true;
        }
      }
      await call.send(
        writeResponse.encode({
          action,
          offset: ingest.offset,
          total: ingest.total,
          digest: digestOf(ingest),
          startedAt: timestamp(ingest.startedAt),
          updatedAt: timestamp(new Date()),
        }).finish(),
      );
    }
    call.end();
  } finally {
    if (ingest) {
      ingest.file.close();
      if (!committed) await Deno.remove(ingest.path).catch(() => {});
    }
  }
}

async function open(dir: string, total: number, expected: string): Promise<Ingest> {
  await Deno.mkdir(join(dir, "ingest"), { recursive: true });
  const path = join(dir, "ingest", randomUUID());
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o644 });
  return {
    file,
    path,
    hash: createHash("sha256"),
    offset: 0,
    total,
    expected,
    startedAt: new Date(),
  };
}

/** Back to offset 0: the writer starts the blob over. */
async function restart(ingest: Ingest): Promise<void> {
  await ingest.file.truncate(0);
  await ingest.file.seek(0, Deno.SeekMode.Start);
  ingest.hash = createHash("sha256");
  ingest.offset = 0;
}

async function write(ingest: Ingest, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await ingest.file.write(data.subarray(at));
  ingest.hash.update(Buffer.from(data.buffer, data.byteOffset, data.length));
  ingest.offset += data.length;
}

/** Checks size and digest and moves the blob into place; returns why not, if not. */
async function commit(
  ingest: Ingest,
  dir: string,
  total: number,
  expected: string,
): Promise<string | undefined> {
  if (total && ingest.offset !== total) {
    return `unexpected commit size ${ingest.offset}, expected ${total}`;
  }
  const actual = `sha256:${ingest.hash.copy().digest("hex")}`;
  const want = expected || ingest.expected;
  if (want && want !== actual) return `unexpected commit digest ${actual}, expected ${want}`;
  ingest.committed = actual;
  await ingest.file.sync();
  const target = blobPath(dir, actual)!;
  await Deno.mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  await Deno.rename(ingest.path, target);
  return undefined;
}

/** The digest so far (a copy of the running hash), or the committed one. */
function digestOf(ingest: Ingest): string {
  return ingest.committed ?? `sha256:${ingest.hash.copy().digest("hex")}`;
}

function timestamp(d: Date): { seconds: number; nanos: number } {
  const ms = d.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
