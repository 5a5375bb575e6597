/** melange's `--workspace-dir`: the build's workspace, written out after the build. */
import { mkdirSync } from "node:fs";
import type { Client } from "../buildkit/mod.ts";
import { sharedKey } from "../buildkit/identity.ts";
import { marshal, type Platform, scratch } from "../llb/mod.ts";
import type { BuildGraph } from "./graph.ts";
import { WORKSPACE } from "./steps.ts";

/**
 * melange's --workspace-dir: the workspace as the last step left it, written
 * to `dest`. A second solve of the same graph: every step is cached, only the
 * copy and the transfer run.
 */
export async function exportWorkspace(
  client: Client,
  graph: BuildGraph,
  dest: string,
  opts: {
    platform: Platform;
    locals: Record<string, string>;
    signal?: AbortSignal;
  },
): Promise<void> {
  const last = graph.after.at(-1);
  mkdirSync(dest, { recursive: true });
  if (!last) return; // no steps: nothing was made in the workspace
  const workspace = scratch().copy(last, `${WORKSPACE}/`, "/", {
    copyDirContentsOnly: true,
    customName: "export the workspace",
  });
  await client.solve({
    definition: marshal(workspace, { platform: opts.platform }).bytes,
    locals: opts.locals,
    exports: [{ type: "local", dest }],
    entitlements: ["security.insecure"],
    signal: opts.signal,
    sharedKey: sharedKey(Object.values(opts.locals)),
  });
}
