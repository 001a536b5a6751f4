import { WatchdogError } from '../domain/errors';
import type { StateStore, Versioned } from '../ports/stateStore.port';

/**
 * Read-modify-write of one state record under an ETag condition. On a conflict the update is
 * computed again from the record the other writer left, so neither write is lost. `update`
 * returns undefined to leave the record as it is.
 */
export async function updateRecord<T>(
  store: StateStore,
  key: string,
  update: (current: T | undefined) => T | undefined,
  maxAttempts = 5,
): Promise<Versioned<T> | undefined> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const current = await store.read<T>(key);
    const next = update(current?.value);
    if (next === undefined) return current;
    const written = await store.write(key, next, current ? { etag: current.etag } : { absent: true });
    if (written.ok) return { value: next, etag: written.etag };
  }
  throw new WatchdogError('STATE_CONTENDED', `State record ${key} kept changing under ${maxAttempts} attempts to update it`, { key });
}
