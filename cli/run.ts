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
