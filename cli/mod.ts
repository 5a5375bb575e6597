/**
 * The command table: each module registers its commands on the program.
 * One line per command group; the groups live beside this file.
 */
import type { Command } from "commander";
import { register as apk } from "./apk.ts";
import { register as build } from "./build.ts";
import { register as buildkit } from "./buildkit.ts";
import { register as compile } from "./compile.ts";
import { register as debug } from "./debug.ts";
import { register as demo } from "./demo.ts";
import { register as env } from "./env.ts";
import { register as solve } from "./solve.ts";

/** Registers a group of subcommands on the root program. */
export type Register = (program: Command) => void;

/** Every command group melange2 has, in help order. */
export const groups: Register[] = [
  build,
  compile,
  env,
  apk,
  solve,
  buildkit,
  debug,
  demo,
];
