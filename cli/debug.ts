/** `melange2 debug dump-llb`: print a serialized definition one op per line. */
import type { Command } from "commander";
import { UserError } from "../lib/errors.ts";
import { action } from "./run.ts";

/** Reads a file, or standard input for `-` or no name. */
export async function readInput(file: string | undefined): Promise<Uint8Array> {
  if (!file || file === "-") {
    return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
  }
  try {
    return await Deno.readFile(file);
  } catch (err) {
    throw new UserError(`reading ${file}: ${(err as Error).message}`);
  }
}

/** Registers `debug dump-llb`. */
export function register(program: Command): void {
  const debug = program.command("debug").description("Debugging helpers");
  debug
    .command("dump-llb")
    .argument("[file]", "serialized pb.Definition; - or none for standard input")
    .description(
      "Print an LLB definition one op per line, with digests (like buildctl debug dump-llb)",
    )
    .action(action(async (file?: string) => {
      const { dumpDefinition } = await import("../lib/llb/mod.ts");
      const ops = dumpDefinition(await readInput(file));
      const out = ops.map((op) => JSON.stringify(op)).join("\n");
      await Deno.stdout.write(new TextEncoder().encode(out ? out + "\n" : ""));
    }));
}
