/**
 * commander's runtime module, as main.ts's program() loaded it. Command
 * modules must not import commander for its values: it is CommonJS, and
 * loading it starts Deno's Node compatibility, which a plain `compile`
 * never needs (see docs/architecture.md, start-up). They take its classes
 * from here instead, once program() has set it.
 */
import type * as Commander from "commander";

let loaded: typeof Commander | undefined;

/** Records the loaded commander module; program() calls it before any command registers. */
export function useCommander(mod: typeof Commander): void {
  loaded = mod;
}

/** commander's classes (Option, Argument, InvalidArgumentError...). */
export function commander(): typeof Commander {
  if (!loaded) throw new Error("commander is used before main.ts's program() loaded it");
  return loaded;
}

/** commander's error for a flag value it should refuse (thrown by argument parsers). */
export function invalidArgument(message: string): Error {
  return new (commander().InvalidArgumentError)(message);
}
