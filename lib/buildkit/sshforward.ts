/**
 * SSH agent forwarding on the session (BuildKit's sshforward service): an
 * exec's ssh mount reaches an agent socket on the client. Bytes are relayed
 * as they are, as BuildKit's own raw socket provider does; the agent decides
 * what it signs.
 */
import { Buffer } from "node:buffer";
import { type ServerCall, Status } from "./grpcserver.ts";
import { type } from "./proto.ts";

const bytesMessage = type("moby.sshforward.v1.BytesMessage");
const checkRequest = type("moby.sshforward.v1.CheckAgentRequest");

/** The agent ids BuildKit asks for when a mount names none. */
const DEFAULT_ID = "default";

/** Handlers for the SSH service, serving `agents` (agent socket path by id). */
export function sshHandlers(
  agents: Record<string, string>,
): [string, (call: ServerCall) => void][] {
  return [
    ["/moby.sshforward.v1.SSH/CheckAgent", async (call) => {
      let id = "";
      for await (const b of call) {
        id = (checkRequest.decode(b) as unknown as { ID?: string }).ID ?? "";
      }
      id ||= DEFAULT_ID;
      if (!(id in agents)) return call.fail(Status.UNKNOWN, `unset ssh forward key ${id}`);
      await call.send(new Uint8Array());
      call.end();
    }],
    ["/moby.sshforward.v1.SSH/ForwardAgent", (call) => {
      const id = call.metadata.get("buildkit.ssh.id")?.[0] || DEFAULT_ID;
      const path = agents[id];
      if (!path) return call.fail(Status.UNKNOWN, `unset ssh forward key ${id}`);
      relay(call, path).catch((err) =>
        call.fail(Status.UNKNOWN, `forwarding ssh agent ${id}: ${(err as Error).message}`)
      );
    }],
  ];
}

async function relay(call: ServerCall, path: string): Promise<void> {
  const conn = await Deno.connect({ transport: "unix", path });
  const toAgent = (async () => {
    try {
      for await (const b of call) {
        const data = (bytesMessage.decode(b) as unknown as { data?: Uint8Array }).data;
        for (let off = 0; data && off < data.length;) off += await conn.write(data.subarray(off));
      }
      await conn.closeWrite();
    } catch {
      conn.close();
    }
  })();
  const buf = new Uint8Array(32 * 1024);
  try {
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      await call.send(bytesMessage.encode({ data: Buffer.from(buf.subarray(0, n)) }).finish());
    }
  } catch {
    // The agent went away: end the stream, as BuildKit's relay does.
  }
  call.end();
  await toAgent;
  try {
    conn.close();
  } catch {
    // already closed by the writer after an error
  }
}
