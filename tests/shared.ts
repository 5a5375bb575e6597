/**
 * Access to ../shared (fixtures, corpus, LLB vectors), read in place.
 *
 * Tests that need it call `sharedPath("fixtures/...")`; when ../shared is
 * absent the test is ignored and the reason printed once.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Root of the shared folder: $MELANGE2_SHARED or ../shared beside the repository. */
export const sharedRoot: string = Deno.env.get("MELANGE2_SHARED") ?? join(repoRoot, "..", "shared");

/** True when the shared folder is there. */
export const haveShared: boolean = existsSync(sharedRoot);

if (!haveShared) {
  console.log(`note: ${sharedRoot} is absent; tests that read shared fixtures are skipped`);
}

/** Path of a file under the shared folder. */
export function sharedPath(...parts: string[]): string {
  return join(sharedRoot, ...parts);
}

/** Repository root, for tests that run main.ts or read examples. */
export const repoPath = (...parts: string[]): string => join(repoRoot, ...parts);
