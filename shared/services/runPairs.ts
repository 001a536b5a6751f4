import pLimit from 'p-limit';
import type { Logger } from '../ports/logger.port';

export interface PairOutcome<R> {
  readonly pairId: string;
  readonly ok: boolean;
  readonly result?: R;
  readonly error?: string;
}

/**
 * Runs one check per pair with bounded concurrency. A pair that throws is reported and logged;
 * it never stops or delays the others beyond its own slot.
 */
export async function runPairs<P extends { readonly id: string }, R>(
  pairs: readonly P[],
  maxConcurrency: number,
  logger: Logger,
  check: (pair: P) => Promise<R>,
): Promise<PairOutcome<R>[]> {
  const limit = pLimit(maxConcurrency);
  return Promise.all(
    pairs.map((pair) =>
      limit(async (): Promise<PairOutcome<R>> => {
        try {
          return { pairId: pair.id, ok: true, result: await check(pair) };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          logger.error('pair check failed', { pair: pair.id, error: message });
          return { pairId: pair.id, ok: false, error: message };
        }
      }),
    ),
  );
}

/** One log line's worth of a pass: how many pairs, which failed, each pair's resulting state. */
export function summarizePass<R>(outcomes: readonly PairOutcome<R>[], stateOf: (r: R) => string): Record<string, unknown> {
  return {
    pairs: outcomes.length,
    failed: outcomes.filter((o) => !o.ok).map((o) => ({ pair: o.pairId, error: o.error })),
    states: Object.fromEntries(outcomes.filter((o) => o.ok && o.result !== undefined).map((o) => [o.pairId, stateOf(o.result as R)])),
  };
}
