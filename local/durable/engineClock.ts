/** Time as the engine sees it: durable timers fire through `schedule`, never through setTimeout directly. */
export interface EngineClock {
  now(): Date;
  /** Calls `onDue` once, when the clock reaches `at` (at once if it already has); returns a cancel function. */
  schedule(at: Date, onDue: () => void): () => void;
}

// setTimeout holds at most about 24.8 days; longer waits are chained.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: EngineClock = {
  now: () => new Date(),
  schedule(at, onDue) {
    let handle: NodeJS.Timeout;
    const wait = (): void => {
      const remaining = at.getTime() - Date.now();
      handle = remaining > MAX_TIMEOUT_MS ? setTimeout(wait, MAX_TIMEOUT_MS) : setTimeout(onDue, Math.max(0, remaining));
    };
    wait();
    return () => clearTimeout(handle);
  },
};
