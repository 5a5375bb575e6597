/** `melange2 solve`: solve a serialized LLB definition, like `buildctl build`. */
import type { Command } from "commander";
import type { ExportSpec } from "../lib/buildkit/exports.ts";
import type { ProgressMode } from "../lib/buildkit/progress.ts";
import { UserError } from "../lib/errors.ts";
import {
  addCacheFlags,
  addConnectFlags,
  connectOptions,
  interruptSignal,
} from "./buildkit_flags.ts";
import { readInput } from "./debug.ts";
import { action } from "./run.ts";

const collect = (v: string, all: string[] = []) => [...all, v];

/** Parses `--local NAME=DIR` flags. */
export function parseLocals(flags: string[], flag = "--local"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new UserError(`${flag} ${f}: expected NAME=DIR`);
    out[f.slice(0, eq)] = f.slice(eq + 1);
  }
  return out;
}

/** Parses `--secret id=ID,env=VAR` or `--secret id=ID,src=FILE`. */
export function parseSecrets(flags: string[]): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const f of flags) {
    const kv = Object.fromEntries(f.split(",").map((p) => p.split("=", 2) as [string, string]));
    if (!kv.id) throw new UserError(`--secret ${f}: id= is required`);
    if (kv.env !== undefined) {
      const v = Deno.env.get(kv.env);
      if (v === undefined) {
        throw new UserError(`--secret ${f}: environment variable ${kv.env} is not set`);
      }
      out[kv.id] = new TextEncoder().encode(v);
    } else {
      const src = kv.src ?? kv.source ?? kv.id;
      try {
        out[kv.id] = Deno.readFileSync(src);
      } catch (err) {
        throw new UserError(`--secret ${f}: reading ${src}: ${(err as Error).message}`);
      }
    }
  }
  return out;
}

/**
 * Parses `--ssh ID[=SOCKET]` as buildctl does: the agent socket to forward
 * to ssh mounts with that id; without a socket, $SSH_AUTH_SOCK.
 */
export function parseSsh(flags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const eq = f.indexOf("=");
    const id = (eq < 0 ? f : f.slice(0, eq)) || "default";
    const path = eq < 0 ? Deno.env.get("SSH_AUTH_SOCK") : f.slice(eq + 1);
    if (!path) throw new UserError(`--ssh ${f}: no socket given and SSH_AUTH_SOCK is not set`);
    let socket = false;
    try {
      socket = Deno.statSync(path).isSocket === true;
    } catch (err) {
      throw new UserError(`--ssh ${f}: ${path}: ${(err as Error).message}`);
    }
    if (!socket) throw new UserError(`--ssh ${f}: ${path} is not a socket (an ssh agent's)`);
    out[id] = path;
  }
  return out;
}

/** Registers `solve`. */
export function register(program: Command): void {
  addCacheFlags(addConnectFlags(
    program
      .command("solve")
      .description("Solve a serialized LLB definition (the bytes buildctl build reads)")
      .argument("[file]", "definition file; - or none for standard input")
      .option("--local <name=dir>", "a local source directory (repeatable)", collect)
      .option(
        "--oci-layout <name=dir>",
        "an OCI layout that the graph's oci-layout sources of store NAME read (repeatable)",
        collect,
      )
      .option("--output <spec>", "type=local,dest=DIR or type=tar,dest=FILE (repeatable)", collect)
      .option("--secret <spec>", "id=ID,env=VAR or id=ID,src=FILE (repeatable)", collect)
      .option(
        "--ssh <spec>",
        "ID[=SOCKET]: forward an ssh agent to ssh mounts (repeatable)",
        collect,
      )
      .option(
        "--allow <entitlement>",
        "entitlement such as security.insecure (repeatable)",
        collect,
      )
      .option("--progress <mode>", "auto, tty, plain, rawjson or quiet", "auto"),
  )).action(action(async (file: string | undefined, opts: Record<string, any>) => {
    const { parseOutput } = await import("../lib/buildkit/exports.ts");
    const { sharedKey } = await import("../lib/buildkit/identity.ts");
    const { cacheOptions } = await import("./run_options.ts");
    const definition = await readInput(file);
    const locals = parseLocals(opts.local ?? []);
    const exports: ExportSpec[] = (opts.output ?? []).map(parseOutput);
    const secrets = parseSecrets(opts.secret ?? []);
    const ssh = parseSsh(opts.ssh ?? []);
    const ociLayouts = parseLocals(opts.ociLayout ?? [], "--oci-layout");
    const caches = cacheOptions(opts);
    // Loaded here, not at start-up: gRPC reads the environment as it loads, and help needs none.
    const { Client, ProgressWriter } = await import("../lib/buildkit/mod.ts");
    const client = Client.connect(connectOptions(opts));
    const interrupt = interruptSignal();
    try {
      await client.solve({
        definition,
        locals,
        exports,
        secrets,
        ssh,
        ociLayouts,
        ...caches,
        entitlements: opts.allow,
        progress: new ProgressWriter(opts.progress as ProgressMode),
        signal: interrupt.signal,
        sharedKey: sharedKey(Object.values(locals)),
      });
    } finally {
      interrupt.dispose();
      client.close();
    }
  }));
}
