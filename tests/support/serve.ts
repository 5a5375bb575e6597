/** A loopback HTTP server for files of one directory, for tests that download. */
import { join, normalize } from "node:path";

/**
 * Serves `dir` on 127.0.0.1 at a free port; returns its URL and a closer.
 * Files are streamed with their Content-Length, so large ones cost the
 * server no memory.
 */
export function serveFile(dir: string): { url: string; close(): Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = normalize(decodeURIComponent(new URL(req.url).pathname));
    try {
      const file = await Deno.open(join(dir, path));
      const { size, isFile } = await file.stat();
      if (!isFile) {
        file.close();
        return new Response("not found", { status: 404 });
      }
      return new Response(file.readable, { headers: { "content-length": String(size) } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}
