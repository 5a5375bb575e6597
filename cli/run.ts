/** Shared plumbing for command actions: error reporting and exit codes. */
import { UserError } from "../lib/errors.ts";

/**
 * Wraps a command action so that user errors print one clear paragraph and
 * exit non-zero, while bugs keep their stack trace.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      Deno.exit(report(err));
    }
  };
}

/** Prints an error for the user and returns the exit code to use. */
export function report(err: unknown): number {
  if (err instanceof UserError) {
    console.error(`error: ${err.message}`);
    return err.exitCode;
  }
  console.error("internal error (please report):", err);
  return 70;
}

/**
 * An environment variable, or undefined when it is unset or this run may not
 * read the environment (so `--help` works without `--allow-env`).
 */
export function envOrUndefined(name: string): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
    return undefined;
  }
  return Deno.env.get(name);
}

/** Whether help and errors on `stream` use colour: commander's rules, without needing env access. */
export function hasColors(stream: { isTerminal(): boolean }): boolean {
  if (envOrUndefined("NO_COLOR") || ["0", "false"].includes(envOrUndefined("FORCE_COLOR") ?? "")) {
    return false;
  }
  if (envOrUndefined("FORCE_COLOR") || envOrUndefined("CLICOLOR_FORCE") !== undefined) return true;
  return stream.isTerminal();
}
