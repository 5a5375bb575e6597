/**
 * Compiles melange2 into single binaries with `deno compile`.
 *
 *   deno run -A scripts/compile.ts [--out DIR] [--target TRIPLE]...
 *
 * Needs the network the first time for each target (Deno downloads its
 * runtime for that target), so CI checks the offline part instead: a
 * `deno bundle` of main.ts that runs from an empty directory.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { V8_FLAGS } from "../cli/v8flags.ts";

/** The platforms release binaries are built for. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
] as const;

/** The `deno compile` arguments for one target. */
export function compileArgs(target: string, outDir: string): string[] {
  return [
    "compile",
    "--allow-all",
    "--frozen",
    // A compiled binary cannot start itself again with V8 flags: it carries them.
    `--v8-flags=${V8_FLAGS}`,
    "--target",
    target,
    "--output",
    join(outDir, `melange2-${target}`),
    // Packages are written in workers; the binary must carry the worker module.
    "--include",
    new URL("../lib/apk/package_worker.ts", import.meta.url).pathname,
    new URL("../main.ts", import.meta.url).pathname,
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: "dist" },
      target: { type: "string", multiple: true },
    },
  });
  const targets = values.target?.length ? values.target : [...TARGETS];
  for (const target of targets) {
    console.error(`compiling for ${target}`);
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(target, values.out!),
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) {
      console.error(`deno compile failed for ${target}`);
      Deno.exit(code);
    }
  }
}
