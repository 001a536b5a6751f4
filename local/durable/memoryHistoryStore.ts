import type { HistoryStore, InstanceRecord } from './historyStore';

/**
 * Keeps records as JSON text, so a reader never shares objects with the engine that wrote them
 * and everything stored survives serialization, exactly as with a file or blob store.
 */
export class MemoryHistoryStore implements HistoryStore {
  private readonly records = new Map<string, string>();

  read(instanceId: string): Promise<InstanceRecord | undefined> {
    const text = this.records.get(instanceId);
    return Promise.resolve(text === undefined ? undefined : (JSON.parse(text) as InstanceRecord));
  }

  write(record: InstanceRecord): Promise<void> {
    this.records.set(record.instanceId, JSON.stringify(record));
    return Promise.resolve();
  }

  list(): Promise<readonly InstanceRecord[]> {
    return Promise.resolve([...this.records.values()].map((text) => JSON.parse(text) as InstanceRecord));
  }
}
