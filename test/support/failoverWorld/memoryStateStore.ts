import type { StateStore, Versioned, WriteCondition, WriteResult } from '../../../shared/ports/stateStore.port';

/** The watchdog's state records in memory, with the ETag conditions of the Blob store. */
export class MemoryStateStore implements StateStore {
  private readonly records = new Map<string, { text: string; etag: string }>();
  private version = 0;

  read<T>(key: string): Promise<Versioned<T> | undefined> {
    return Promise.resolve(this.readNow<T>(key));
  }

  write<T>(key: string, value: T, condition: WriteCondition): Promise<WriteResult> {
    return Promise.resolve(this.writeNow(key, value, condition));
  }

  /** Synchronous read, for the world's own bookkeeping and assertions. */
  readNow<T>(key: string): Versioned<T> | undefined {
    const record = this.records.get(key);
    return record === undefined ? undefined : { value: JSON.parse(record.text) as T, etag: record.etag };
  }

  writeNow<T>(key: string, value: T, condition: WriteCondition): WriteResult {
    const current = this.records.get(key);
    const matches = 'absent' in condition ? current === undefined : current?.etag === condition.etag;
    if (!matches) return { ok: false, reason: 'conflict' };
    const etag = `"${++this.version}"`;
    this.records.set(key, { text: JSON.stringify(value), etag });
    return { ok: true, etag };
  }

  /** Unconditional, for setting a world up. */
  put<T>(key: string, value: T): void {
    this.records.set(key, { text: JSON.stringify(value), etag: `"${++this.version}"` });
  }
}
