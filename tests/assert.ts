/**
 * Small assertions for the tests (JSR's @std/assert is out of reach here):
 * node:assert underneath, with the names the Deno world uses.
 */
import nodeAssert from "node:assert/strict";

/** Fails unless `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg as string);
}

/** Deep equality with a readable diff on failure. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg as string);
}

/** Deep inequality. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, msg as string);
}

/** Fails unless `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, msg?: string): void {
  nodeAssert.ok(
    text.includes(part),
    msg ?? `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
  );
}

/** Fails unless `fn` throws an instance of `cls` (when given); returns the error. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  cls?: new (...args: any[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (err) {
    return checkError(err, cls, includes);
  }
  throw new nodeAssert.AssertionError({ message: "expected the function to throw" });
}

/** Fails unless the promise from `fn` rejects with `cls` (when given); returns the error. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  cls?: new (...args: any[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return checkError(err, cls, includes);
  }
  throw new nodeAssert.AssertionError({ message: "expected the promise to reject" });
}

function checkError<E extends Error>(
  err: unknown,
  // deno-lint-ignore no-explicit-any
  cls?: new (...args: any[]) => E,
  includes?: string,
): E {
  if (cls && !(err instanceof cls)) {
    throw new nodeAssert.AssertionError({
      message: `expected ${cls.name}, got ${
        err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      }`,
    });
  }
  if (includes && !(err instanceof Error && err.message.includes(includes))) {
    throw new nodeAssert.AssertionError({
      message: `expected the error to include ${JSON.stringify(includes)}, got ${String(err)}`,
    });
  }
  return err as E;
}
