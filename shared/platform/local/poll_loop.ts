/**
 * Calls `step` again and again: at once while it reports work done, every `intervalMs` while it does
 * not. Steps never overlap, and `stop()` resolves only after the step under way has finished, so a
 * caller can close what the step uses right after.
 */
export interface PollLoop {
  stop(): Promise<void>;
}

export function startPolling(
  step: () => Promise<boolean>,
  intervalMs: number,
  onError: (err: unknown) => void,
): PollLoop {
  let stopped = false;
  let wake: (() => void) | null = null;

  const idle = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async () => {
    // Yield first, so the caller has its handle before the first step runs.
    await Promise.resolve();
    while (!stopped) {
      let worked = false;
      try {
        worked = await step();
      } catch (err) {
        onError(err);
      }
      if (!worked && !stopped) await idle();
    }
  };
  const done = run();

  return {
    async stop() {
      stopped = true;
      wake?.();
      await done;
    },
  };
}
