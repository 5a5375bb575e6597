/**
 * melange build files: load and validate (load.ts), then compile for an
 * architecture (compile.ts) into plain data (types.ts).
 *
 * `target-architecture` does not stop compiling: a file compiles for any
 * architecture and the result keeps the list; `buildsFor` tells the build
 * and test commands whether to skip that architecture, as melange does.
 */
import { loadGoRegexp } from "./goregexp.ts";

// Compiling var-transforms needs the regexp engine, loaded once here for
// every user of this module (`melange2 compile` loads it only when needed).
await loadGoRegexp();

export { compile, type CompileOptions, compileSync } from "./compile.ts";
export {
  type Config,
  loadConfig,
  loadConfigSync,
  loadConfigText,
  type LoadOptions,
} from "./load.ts";
export { buildsFor, normalizeArch } from "./arch.ts";
export { loadGoRegexp } from "./goregexp.ts";
export type * from "./types.ts";
