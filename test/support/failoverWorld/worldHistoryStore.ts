import type { HistoryStore, InstanceRecord, RuntimeStatus } from '../../../local/durable/historyStore';

/**
 * The harness's history in memory, telling the world at once when an instance's status changes
 * and whether the engine wrote anything. Unlike MemoryHistoryStore it keeps the engine's records
 * as they are (the engine never changes a record it stored, it writes a new one): a thousand runs
 * spend their time on the orchestration, not on copying its history.
 */
export class WorldHistoryStore implements HistoryStore {
  private readonly records = new Map<string, InstanceRecord>();
  /** Every write so far: the engine did something when this moved. */
  writes = 0;

  read(instanceId: string): Promise<InstanceRecord | undefined> {
    return Promise.resolve(this.records.get(instanceId));
  }

  write(record: InstanceRecord): Promise<void> {
    this.writes++;
    this.records.set(record.instanceId, Object.freeze(record));
    return Promise.resolve();
  }

  list(): Promise<readonly InstanceRecord[]> {
    return Promise.resolve([...this.records.values()]);
  }

  customStatusOf(instanceId: string): unknown {
    return this.records.get(instanceId)?.customStatus;
  }

  statusOf(instanceId: string): RuntimeStatus | undefined {
    return this.records.get(instanceId)?.runtimeStatus;
  }
}
