/**
 * Compiles melange2 into single binaries with `deno compile`.
 *
 *   deno run -A scripts/compile.ts [--out DIR] [--target TRIPLE]...
 *
 * `deno compile` downloads Deno's runtime for each target (denort, from
 * dl.deno.land) the first time; without that access it can use one given
 * as DENORT_BIN. When neither works, this script says so in one paragraph.
 * tests/bundle_test.ts runs the compiled binary when a runtime is there,
 * and otherwise the offline equivalent: a `deno bundle` of main.ts.
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
    const out = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(target, values.out!),
      env: { RUST_BACKTRACE: "0" },
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (!out.success) {
      console.error(compileFailure(target, new TextDecoder().decode(out.stderr)));
      Deno.exit(1);
    }
    console.error(`wrote ${join(values.out!, `melange2-${target}`)}`);
  }
}

/** What to tell the user when `deno compile` failed, in one paragraph. */
export function compileFailure(target: string, stderr: string): string {
  // deno's own message, without colors and its backtrace.
  const esc = String.fromCharCode(27);
  const plain = stderr.replaceAll(new RegExp(`${esc}\\[[0-9;]*m`, "g"), "")
    .split("\nStack backtrace:")[0].trim();
  const lines = plain.split("\n").map((l) => l.trim()).filter(Boolean);
  if (/denort|dl\.deno\.land|Setting up base binary/.test(plain)) {
    const reason = (lines.at(-1) ?? "unknown error").replace(/^\d+: /, "");
    const runtime = Deno.env.get("DENORT_BIN");
    return runtime
      ? `deno compile could not use DENORT_BIN=${runtime} as the runtime for ${target}: ${reason}`
      : `deno compile needs Deno's runtime for ${target} (denort-${target}.zip from ` +
        `dl.deno.land, Deno ${Deno.version.deno}) and could not download it: ${reason}. ` +
        `On a machine that cannot reach dl.deno.land, download that zip elsewhere, unzip it and ` +
        `run again with DENORT_BIN=/path/to/denort (one target per run: --target ${target}); ` +
        "or run melange2 without compiling, as `deno run -A main.ts` or a `deno bundle` of it.";
  }
  return `deno compile failed for ${target}: ${lines.slice(-3).join(" ")}`;
}
