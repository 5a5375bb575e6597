/**
 * The command table: each module registers its commands on the program.
 * One line per command group; the groups live beside this file.
 */
import type { Command } from "commander";
import { register as debug } from "./debug.ts";

/** Registers a group of subcommands on the root program. */
export type Register = (program: Command) => void;

/** Every command group melange2 has, in help order. */
export const groups: Register[] = [
  debug,
];
