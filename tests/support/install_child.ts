/**
 * A separate process that resolves and installs an environment, then
 * prints its own peak resident memory (VmHWM, kB): `install_child.ts SPEC_JSON ROOT`.
 */
import { readFileSync } from "node:fs";
import { installEnvironment, resolveEnvironment } from "../../lib/apk/environment.ts";

const [specJson, root] = Deno.args;
const spec = JSON.parse(specJson);
await installEnvironment(await resolveEnvironment(spec), root, spec);
const status = readFileSync("/proc/self/status", "utf8");
console.log(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? "unknown");
