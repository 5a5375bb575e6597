/**
 * melange build files: load and validate (load.ts), then compile for an
 * architecture (compile.ts) into plain data (types.ts).
 */
export { compile, type CompileOptions, compileSync } from "./compile.ts";
export {
  type Config,
  loadConfig,
  loadConfigSync,
  loadConfigText,
  type LoadOptions,
} from "./load.ts";
export { normalizeArch } from "./arch.ts";
export type * from "./types.ts";
