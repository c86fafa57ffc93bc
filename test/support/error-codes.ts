/**
 * Tests assert error CODES, never message text and never a bare "something was thrown": these
 * return the code of what a call threw or a promise rejected with, and fail the test when it did
 * not fail, or failed with something that has no code (a bug, not a reported error).
 */

/**
 * The code of a coded error: CliError / AdmissionInputError (`code`), KclError (`diagnostic.code`),
 * or a node system error (`code`, such as ECONNREFUSED).
 */
export function codeOf(error: unknown): string {
  const coded = error as { code?: unknown; diagnostic?: { code?: unknown } } | null;
  const code = typeof coded?.code === 'string' ? coded.code : coded?.diagnostic?.code;
  if (typeof code !== 'string') throw new Error(`expected a coded error, got: ${error instanceof Error ? error.stack : String(error)}`);
  return code;
}

/** What `fn` threw; fails the test when it returned. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but nothing was thrown');
}

export function thrownCode(fn: () => unknown): string {
  return codeOf(thrown(fn));
}

export async function rejectedCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return codeOf(error);
  }
  throw new Error('expected a rejection, but the promise resolved');
}
