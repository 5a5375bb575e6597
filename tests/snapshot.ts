/**
 * Text snapshots under tests/snapshots/. A snapshot changes only when asked:
 * run with UPDATE_SNAPSHOTS=1 to rewrite them; otherwise a mismatch fails
 * with a line diff.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

const dir = join(dirname(fileURLToPath(import.meta.url)), "snapshots");

/** Compares `actual` with the stored snapshot `name` (a relative path). */
export function assertSnapshot(name: string, actual: string): void {
  const file = join(dir, name);
  if (Deno.env.get("UPDATE_SNAPSHOTS") === "1") {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    throw new Error(`snapshot ${name} does not exist; run with UPDATE_SNAPSHOTS=1 to create it`);
  }
  const expected = readFileSync(file, "utf8");
  if (expected !== actual) {
    throw new Error(
      `snapshot ${name} differs (UPDATE_SNAPSHOTS=1 to accept):\n${lineDiff(expected, actual)}`,
    );
  }
}

/** A minimal line diff: lines only in the snapshot (-) and only in the result (+). */
export function lineDiff(expected: string, actual: string): string {
  const a = expected.split("\n"), b = actual.split("\n");
  const out: string[] = [];
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) continue;
    if (a[i] !== undefined) out.push(`- ${a[i]}`);
    if (b[i] !== undefined) out.push(`+ ${b[i]}`);
  }
  return out.join("\n");
}
