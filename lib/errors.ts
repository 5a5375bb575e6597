/**
 * Errors melange2 reports to its user.
 *
 * A `UserError` is bad input or an unreachable service: the CLI prints its
 * message as one paragraph and exits non-zero, never with a stack trace.
 * Anything else that escapes is a bug and is shown with its stack.
 */

/** An error caused by the user's input or environment, shown without a stack. */
export class UserError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number;

  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "UserError";
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** Raised when the user interrupts (Ctrl-C); the CLI exits 130. */
export class Interrupted extends UserError {
  constructor(message = "interrupted") {
    super(message, { exitCode: 130 });
    this.name = "Interrupted";
  }
}

/** Prefixes an error's message with context, keeping its class and exit code. */
export function withContext(context: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UserError) {
    return new UserError(`${context}: ${message}`, { cause: err, exitCode: err.exitCode });
  }
  const wrapped = new Error(`${context}: ${message}`, { cause: err });
  if (err instanceof Error && err.stack) wrapped.stack = `${wrapped.message}\n${err.stack}`;
  return wrapped;
}

/**
 * A file-system error in plain words (`does not exist`, `is a directory`...),
 * without Node's `ENOENT: no such file or directory, open '...'` wording.
 */
export function fsErrorText(err: unknown): string {
  const code = (err as { code?: string })?.code;
  switch (code) {
    case "ENOENT":
      return "does not exist";
    case "EISDIR":
      return "is a directory, not a file";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOSPC":
      return "no space left on the device";
    case "EROFS":
      return "read-only file system";
  }
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^[A-Z]+: /, "").replace(/, \w+ '[^']*'$/, "");
}
