import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import type { HeartbeatReading } from '../../../shared/domain/heartbeatReading';
import type { HeartbeatSource } from '../../../shared/ports/heartbeatSource.port';
import { silentLogger } from '../../../shared/ports/logger.port';
import { checkHeartbeat, type HeartbeatRecord } from '../../../shared/services/heartbeatMonitor';
import { stateKeys } from '../../../shared/services/stateKeys';
import { testStorage, type TestStorage } from '../../support/azurite';
import { resolvedPair } from '../../support/pairs';

let storage: TestStorage;
beforeAll(async () => {
  storage = await testStorage();
});
afterAll(async () => {
  await storage.release();
});

const pair = resolvedPair();
const dbNow = new Date('2026-11-22T03:00:00Z');
/** A source that answers whatever the test sets: the shape of the real port, no database behind it. */
function source(reading: () => HeartbeatReading): HeartbeatSource {
  return { read: () => Promise.resolve(reading()), close: () => Promise.resolve() };
}
const row = (ageSeconds: number): HeartbeatReading => ({ kind: 'row', owner: 'ADT-PRI01', heartbeatUtc: new Date(dbNow.getTime() - ageSeconds * 1000), dbNowUtc: dbNow });

describe('checkHeartbeat', () => {
  it('never rolls the record back when a late execution finishes after a newer check', async () => {
    const state = new BlobStateStore(BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(`hb-${randomUUID()}`));
    const deps = (at: string, reading: HeartbeatReading) => ({
      pairs: [pair],
      state,
      channels: { forPair: () => ({ preferred: [], fallback: [] }) },
      clock: () => new Date(at),
      logger: silentLogger,
      maxConcurrency: 1,
      heartbeats: source(() => reading),
    });
    await checkHeartbeat(deps('2026-11-22T03:01:00Z', row(10)), pair);
    // An execution that began before the one above finishes now, with what it read back then.
    await checkHeartbeat(deps('2026-11-22T03:00:30Z', row(900)), pair);
    const record = (await state.read<HeartbeatRecord>(stateKeys.heartbeat(pair.id)))!.value;
    expect(record.memory.last.at).toBe('2026-11-22T03:01:00.000Z');
    expect(record.assessment).toMatchObject({ observed: 'healthy', observedCount: 1 });
  });
});
