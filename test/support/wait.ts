/**
 * Waiting on a condition, for the end-to-end tests: polled every `everyMs` (a poll, not a bound on
 * anything measured), and a failure that names what was awaited. No test sleeps a fixed time and
 * then expects a count.
 */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; everyMs?: number; detail?: () => string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${options.detail ? `:\n${options.detail()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 20));
  }
}
