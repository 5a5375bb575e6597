/**
 * BuildKit's own Go client as a test oracle: scripts/llbref (built by the
 * set-up against moby/buildkit v0.32.2) replays graph descriptions and
 * returns the definitions Go writes for them.
 */
import { existsSync } from "node:fs";
import { Buffer } from "node:buffer";
import type { Description } from "../../lib/llb/mod.ts";

/** The llbref binary: $MELANGE2_LLBREF, or where the set-up puts it. */
export const llbrefPath: string = Deno.env.get("MELANGE2_LLBREF") ??
  `${Deno.env.get("MELANGE2_TOOLS") ?? "/opt/melange2"}/llbref/llbref`;

/** Whether the oracle is there (the set-up builds it; without Go it cannot). */
export const haveLlbref: boolean = existsSync(llbrefPath);

if (!haveLlbref) console.log(`note: ${llbrefPath} is absent; Go differential tests are skipped`);

/** What Go made of one description: the definition's bytes, or its error. */
export type GoResult = { bytes: Uint8Array } | { error: string };

/** Marshals every description with Go's client/llb in one llbref process. */
export async function goMarshal(descs: Description[]): Promise<GoResult[]> {
  const child = new Deno.Command(llbrefPath, {
    args: ["marshal"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const input = descs.map((d) => JSON.stringify(d, jsonSafe)).join("\n") + "\n";
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([
    child.output(),
    writer.write(new TextEncoder().encode(input)).then(() => writer.close()),
  ]);
  if (!out.success) throw new Error(`llbref failed: ${new TextDecoder().decode(out.stderr)}`);
  // One line per description; an empty graph's definition is an empty line,
  // so only the final newline goes (trimming would drop trailing empty answers).
  const lines = new TextDecoder().decode(out.stdout).replace(/\n$/, "").split("\n");
  if (lines.length !== descs.length) {
    throw new Error(`llbref answered ${lines.length} of ${descs.length} descriptions`);
  }
  return lines.map((l) =>
    l.startsWith("error: ")
      ? { error: l.slice(7) }
      : { bytes: new Uint8Array(Buffer.from(l, "base64")) }
  );
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? String(value) : value;
}
