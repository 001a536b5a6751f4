import { performance } from 'node:perf_hooks';
import type { HeartbeatSource } from '../../shared/ports/heartbeatSource.port';
import type { StateStore } from '../../shared/ports/stateStore.port';

/**
 * Wraps the real adapters to time each call, so a pass's wall time can be split into what the
 * database, the state store and the watchdog itself cost. One clock read per call: negligible.
 */
export class CallTimes {
  private readonly totals = new Map<string, { calls: number; ms: number }>();

  async time<T>(label: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      const total = this.totals.get(label) ?? { calls: 0, ms: 0 };
      total.calls += 1;
      total.ms += performance.now() - started;
      this.totals.set(label, total);
    }
  }

  /** Mean milliseconds per call and call count, by label, since the last reset. */
  summary(): Record<string, { calls: number; meanMs: number }> {
    return Object.fromEntries([...this.totals].map(([label, t]) => [label, { calls: t.calls, meanMs: t.ms / t.calls }]));
  }

  reset(): void {
    this.totals.clear();
  }
}

export function timedHeartbeats(source: HeartbeatSource, times: CallTimes): HeartbeatSource {
  return {
    read: (pairId, side) => times.time('sql read', () => source.read(pairId, side)),
    close: () => source.close(),
  };
}

export function timedState(store: StateStore, times: CallTimes): StateStore {
  return {
    read: <T>(key: string) => times.time('state read', () => store.read<T>(key)),
    write: (key, value, condition) => times.time('state write', () => store.write(key, value, condition)),
  };
}
