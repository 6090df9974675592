/** Thrown by a probe to stop waiting at once (the thing waited for can no longer happen). */
export class WaitAborted extends Error {
  override readonly name = 'WaitAborted';
}

/** Polls `probe` until it returns a value other than undefined/false, or fails naming what it waited for. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 60_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      if (err instanceof WaitAborted) throw new Error(`gave up waiting for ${what}: ${err.message}`);
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${describeError(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** An error and its causes, one line (Temporal wraps the interesting message a few causes deep). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 6; e = (e as { cause?: unknown }).cause) parts.push(`${e.name}: ${e.message}`);
  return parts.join(' ← ') || String(err);
}

/**
 * Runs `observe` every `intervalMs` until stopped; `stop()` waits for the loop, then observes once more, so what
 * changed in the last moments before the end is seen too.
 */
export function observeUntilStopped(observe: () => Promise<void>, intervalMs = 200): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await observe();
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await observe();
    },
  };
}
