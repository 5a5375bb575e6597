/** `melange2 buildkit workers|info|du|prune`: ask the daemon, like buildctl debug/du/prune. */
import type { Command } from "commander";
import type { Client } from "../lib/buildkit/client.ts";
import { addConnectFlags, connectOptions } from "./buildkit_flags.ts";
import { action } from "./run.ts";

function size(n = 0): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)}${units[i]}`;
}

async function withClient(opts: Record<string, string>, fn: (c: Client) => Promise<void>) {
  // Loaded here, not at start-up: gRPC reads the environment as it loads, and help needs none.
  const { Client } = await import("../lib/buildkit/client.ts");
  const client = Client.connect(connectOptions(opts));
  try {
    await fn(client);
  } finally {
    client.close();
  }
}

/** Registers the `buildkit` group. */
export function register(program: Command): void {
  const bk = program.command("buildkit").description("Query and maintain the BuildKit daemon");
  addConnectFlags(bk.command("workers").description("List the daemon's workers"))
    .option("--json", "print JSON")
    .action(action((opts) =>
      withClient(opts, async (c) => {
        const workers = await c.listWorkers();
        if (opts.json) return console.log(JSON.stringify(workers, null, 2));
        console.log("ID\tPLATFORMS");
        for (const w of workers) {
          const platforms = (w.platforms ?? []).map((p: any) =>
            `${p.OS}/${p.Architecture}${p.Variant ? "/" + p.Variant : ""}`
          );
          console.log(`${w.ID}\t${platforms.join(",")}`);
        }
      })
    ));
  addConnectFlags(bk.command("info").description("Show the daemon's version")).action(
    action((opts) =>
      withClient(opts, async (c) => {
        const v = await c.info();
        console.log(`BuildKit: ${v.package ?? "?"} ${v.version ?? "?"} ${v.revision ?? ""}`.trim());
      })
    ),
  );
  addConnectFlags(bk.command("du").description("Show build cache disk usage"))
    .option("--verbose", "list every record")
    .action(action((opts) =>
      withClient(opts, async (c) => {
        const records = await c.diskUsage();
        let total = 0;
        for (const r of records) {
          total += r.Size ?? 0;
          if (opts.verbose) {
            console.log(
              `${r.ID}\t${size(r.Size)}\t${r.InUse ? "in use" : ""}\t${r.Description ?? ""}`,
            );
          }
        }
        console.log(`Total: ${size(total)} in ${records.length} records`);
      })
    ));
  addConnectFlags(bk.command("prune").description("Remove build cache"))
    .option("--all", "remove everything, not just unreferenced cache")
    .option("--keep-duration <seconds>", "keep cache used within this many seconds")
    .action(action((opts) =>
      withClient(opts, async (c) => {
        const removed = await c.prune({
          all: !!opts.all,
          keepDurationSeconds: Number(opts.keepDuration ?? 0),
        });
        const total = removed.reduce((n, r) => n + (r.Size ?? 0), 0);
        console.log(`Total: ${size(total)} in ${removed.length} records removed`);
      })
    ));
}
