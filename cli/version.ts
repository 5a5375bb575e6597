/**
 * melange2's version (deno.json's), in a module of its own: main.ts reads it
 * on every start, and cli/meta.ts would load the command-line library with it.
 */
export const VERSION = "0.1.0";
