/**
 * The command table: each module registers its commands on the program.
 * A group's module is loaded only when one of its commands runs (or for
 * help), so start-up does not pay for gRPC, YAML or tar code it will not use.
 */
import type { Command } from "commander";

/** Registers a group of subcommands on the root program. */
export type Register = (program: Command) => void;

/** A command group: its command names and how to load its module. */
export interface Group {
  commands: string[];
  load: () => Promise<{ register: Register }>;
}

/** Every command group melange2 has, in help order. */
export const groups: Group[] = [
  { commands: ["build", "test"], load: () => import("./build.ts") },
  { commands: ["compile"], load: () => import("./compile.ts") },
  { commands: ["query", "package-version"], load: () => import("./query.ts") },
  { commands: ["lint"], load: () => import("./lint.ts") },
  { commands: ["bump"], load: () => import("./bump.ts") },
  { commands: ["rebuild"], load: () => import("./rebuild.ts") },
  { commands: ["license-check"], load: () => import("./license_check.ts") },
  { commands: ["convert"], load: () => import("./convert.ts") },
  { commands: ["env", "image"], load: () => import("./env.ts") },
  { commands: ["keygen", "sign", "index", "sign-index", "scan"], load: () => import("./apk.ts") },
  { commands: ["solve"], load: () => import("./solve.ts") },
  { commands: ["serve"], load: () => import("./serve.ts") },
  { commands: ["remote"], load: () => import("./remote.ts") },
  { commands: ["buildkit"], load: () => import("./buildkit.ts") },
  { commands: ["debug"], load: () => import("./debug.ts") },
  { commands: ["demo"], load: () => import("./demo.ts") },
  { commands: ["version", "completion"], load: () => import("./meta.ts") },
];

/** The groups `args` needs: the one its command is in, none for --version, else all (for help). */
export function groupsFor(args: string[]): Group[] {
  const command = args.find((a) => !a.startsWith("-"));
  if (!command && (args.includes("--version") || args.includes("-V"))) return [];
  const hit = groups.filter((g) => command && g.commands.includes(command));
  return hit.length ? hit : groups;
}

/** Registers on `program` the groups `args` needs. */
export async function registerFor(program: Command, args: string[]): Promise<void> {
  for (const group of groupsFor(args)) (await group.load()).register(program);
}
