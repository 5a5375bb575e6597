/**
 * Exporter destinations, written atomically: the daemon's output lands in a
 * temporary sibling of the destination that replaces it only when the solve
 * succeeds, so a failure or Ctrl-C leaves nothing partial behind.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../errors.ts";
import type { ExportTarget } from "./session.ts";
import type { Stat } from "./packet.ts";

/** An exporter as the user names it: `type=local,dest=DIR`, `type=tar,dest=FILE`. */
export interface ExportSpec {
  type: "local" | "tar" | "oci" | "docker";
  dest: string;
  attrs?: Record<string, string>;
  /** For a local export: filled with each entry's stat as the daemon sent it, by path. */
  record?: Map<string, Stat>;
}

/** An export with its temporary target. */
export interface PreparedExport {
  spec: ExportSpec;
  target: ExportTarget;
  attrs: Record<string, string>;
  tmp: string;
}

/** Parses `type=local,dest=DIR` (buildctl's --output syntax). */
export function parseOutput(text: string): ExportSpec {
  const fields: Record<string, string> = {};
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) throw new UserError(`--output ${text}: expected key=value pairs, got "${part}"`);
    fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const { type, dest, ...attrs } = fields;
  if (!["local", "tar", "oci", "docker"].includes(type)) {
    throw new UserError(`--output ${text}: type must be local, tar, oci or docker`);
  }
  if (!dest) throw new UserError(`--output ${text}: dest= is required`);
  return { type: type as ExportSpec["type"], dest, attrs };
}

/** Creates the temporary targets. */
export function prepareExports(specs: ExportSpec[]): PreparedExport[] {
  return specs.map((spec) => {
    const dest = resolve(spec.dest);
    if (!existsSync(dirname(dest))) {
      throw new UserError(`export destination ${spec.dest}: ${dirname(dest)} does not exist`);
    }
    const tmp = join(
      dirname(dest),
      `.${basename(dest)}.melange2-${crypto.randomUUID().slice(0, 8)}`,
    );
    if (spec.type === "local") {
      mkdirSync(tmp, { mode: 0o755 });
      const target = { kind: "dir" as const, dir: tmp, record: spec.record };
      return { spec, target, attrs: spec.attrs ?? {}, tmp };
    }
    return { spec, target: { kind: "file", path: tmp }, attrs: spec.attrs ?? {}, tmp };
  });
}

/** Moves finished exports into place (a local export merges into an existing directory). */
export function finishExports(prepared: PreparedExport[]): void {
  for (const p of prepared) {
    const dest = resolve(p.spec.dest);
    if (p.spec.type === "local" && existsSync(dest)) {
      for (const name of readdirSync(p.tmp)) {
        rmSync(join(dest, name), { recursive: true, force: true });
        renameSync(join(p.tmp, name), join(dest, name));
      }
      rmSync(p.tmp, { recursive: true, force: true });
    } else {
      renameSync(p.tmp, dest);
    }
  }
}

/** Removes temporary targets after a failure. */
export function discardExports(prepared: PreparedExport[]): void {
  for (const p of prepared) rmSync(p.tmp, { recursive: true, force: true });
}
