/**
 * The command table: each module registers its commands on the program.
 * The registration modules are imported statically, so `--help` needs no
 * permission to load them (deno.json's "lazy-dynamic-imports" makes a
 * dynamic import of a local file read it then, with --allow-read), and
 * they import only light code: what a command runs (gRPC, YAML, tar...)
 * its action imports dynamically, so start-up does not pay for it.
 */
import type { Command } from "commander";
import * as build from "./build.ts";
import * as compile from "./compile.ts";
import * as query from "./query.ts";
import * as lint from "./lint.ts";
import * as bump from "./bump.ts";
import * as rebuild from "./rebuild.ts";
import * as licenseCheck from "./license_check.ts";
import * as convert from "./convert.ts";
import * as env from "./env.ts";
import * as apk from "./apk.ts";
import * as solve from "./solve.ts";
import * as serve from "./serve.ts";
import * as remote from "./remote.ts";
import * as buildkit from "./buildkit.ts";
import * as debug from "./debug.ts";
import * as demo from "./demo.ts";
import * as meta from "./meta.ts";

/** Registers a group of subcommands on the root program. */
export type Register = (program: Command) => void;

/** A command group: its command names and how to register them. */
export interface Group {
  commands: string[];
  register: Register;
}

/** Every command group melange2 has, in help order. */
export const groups: Group[] = [
  { commands: ["build", "test"], register: build.register },
  { commands: ["compile"], register: compile.register },
  { commands: ["query", "package-version"], register: query.register },
  { commands: ["lint"], register: lint.register },
  { commands: ["bump"], register: bump.register },
  { commands: ["rebuild"], register: rebuild.register },
  { commands: ["license-check"], register: licenseCheck.register },
  { commands: ["convert"], register: convert.register },
  { commands: ["env", "image"], register: env.register },
  { commands: ["keygen", "sign", "index", "sign-index", "scan"], register: apk.register },
  { commands: ["solve"], register: solve.register },
  { commands: ["serve"], register: serve.register },
  { commands: ["remote"], register: remote.register },
  { commands: ["buildkit"], register: buildkit.register },
  { commands: ["debug"], register: debug.register },
  { commands: ["demo"], register: demo.register },
  { commands: ["version", "completion"], register: meta.register },
];

/** The groups `args` needs: the one its command is in, none for --version, else all (for help). */
export function groupsFor(args: string[]): Group[] {
  const command = args.find((a) => !a.startsWith("-"));
  if (!command && (args.includes("--version") || args.includes("-V"))) return [];
  const hit = groups.filter((g) => command && g.commands.includes(command));
  return hit.length ? hit : groups;
}

/** Registers on `program` the groups `args` needs. */
export function registerFor(program: Command, args: string[]): void {
  for (const group of groupsFor(args)) group.register(program);
}
