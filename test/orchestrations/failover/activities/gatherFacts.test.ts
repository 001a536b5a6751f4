import { createHash, randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { createGatherFactsActivity, type GatherFactsInput } from '../../../../orchestrations/failover/activities/gatherFacts';
import { BlobBackupCatalog } from '../../../../shared/adapters/blob/blobBackupCatalog';
import { BlobStateStore } from '../../../../shared/adapters/blob/blobStateStore';
import { fenceKey, type FenceRecord } from '../../../../shared/contracts/fenceRecord';
import { backupBlobName, backupMetadata } from '../../../../shared/domain/backupContract';
import { DEFAULT_FAILOVER_SETTINGS } from '../../../../shared/domain/runbookSettings';
import { testStorage, type TestStorage } from '../../../support/azurite';
import { resolvedPair } from '../../../support/pairs';

// Real Blob state records and a real backup listing in Azurite.

const NOW = new Date('2026-11-22T03:00:00.000Z');
const BODY = Buffer.from('adTempus backup');
const SHA256 = createHash('sha256').update(BODY).digest('hex');
const BACKUPS = `facts-${randomUUID()}`;
const pair = resolvedPair({ backup: { container: BACKUPS, prefix: 'erp/' } });
const fence = (activeHost: string): FenceRecord => ({ pairId: 'erp', epoch: 3, activeHost, updatedAt: '2026-11-01T00:00:00.000Z', reason: 'failback', failoverId: 'failback-erp' });

let storage: TestStorage;
let blob: BlobServiceClient;
let state: BlobStateStore;
let activity: ReturnType<typeof createGatherFactsActivity>;

beforeAll(async () => {
  storage = await testStorage();
  blob = BlobServiceClient.fromConnectionString(storage.connectionString);
  const container = blob.getContainerClient(BACKUPS);
  await container.create();
  for (const hoursAgo of [1, 25]) {
    const takenAt = new Date(NOW.getTime() - hoursAgo * 3_600_000);
    await container
      .getBlockBlobClient(backupBlobName('erp/', takenAt, 'ADT-PRI01'))
      .upload(BODY, BODY.length, { metadata: backupMetadata({ pairId: 'erp', sourceMachine: 'ADT-PRI01', takenAt, sizeBytes: BODY.length, sha256: SHA256 }) });
  }
});
afterAll(async () => {
  await storage.release();
});
beforeEach(() => {
  state = new BlobStateStore(blob.getContainerClient(`state-${randomUUID()}`));
  activity = createGatherFactsActivity({ pairs: [pair], state, backups: new BlobBackupCatalog(blob), clock: () => NOW });
});

describe('the gatherFacts activity', () => {
  it('keeps passwords, webhook URLs and database details out of the facts, which the durable history stores', async () => {
    const facts = await activity({ pairId: 'erp' });

    const text = JSON.stringify(facts);
    expect(text).not.toContain('Test-Passw0rd');
    expect(text).not.toContain('passwordSetting');
    expect(text).not.toContain(pair.primary.database.server);
    expect(Object.keys(facts.pair.primary)).toEqual(['hostName', 'machineId']);
  });

  it("answers a person's request with the pair's settings, its epoch, the newest sound backup and a failover decision, as plain JSON", async () => {
    await state.write(fenceKey('erp'), fence('ADT-PRI01'), { absent: true });

    const facts = await activity({ pairId: 'erp', request: { requestedBy: 'ops@example.com', reason: 'drill' } });

    expect(facts).toMatchObject({
      pair: { id: 'erp', failover: DEFAULT_FAILOVER_SETTINGS },
      checkedAt: NOW.toISOString(),
      epoch: 3,
      activeHost: 'ADT-PRI01',
      backup: { name: backupBlobName('erp/', new Date(NOW.getTime() - 3_600_000), 'ADT-PRI01'), sha256: SHA256, sizeBytes: BODY.length },
      decision: { action: 'failover', reason: 'REQUESTED', trigger: 'requested', requestedBy: 'ops@example.com' },
    });
    expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
  });

  it('decides nothing automatic for a pair the heartbeat monitor has not checked yet', async () => {
    const facts = await activity({ pairId: 'erp' });

    expect(facts.decision.action).not.toBe('failover');
    expect({ epoch: facts.epoch, activeHost: facts.activeHost }).toEqual({ epoch: 0, activeHost: 'ADT-PRI01' });
  });

  it('finds a pair already failed over from its fence record', async () => {
    await state.write(fenceKey('erp'), fence('ADT-SEC01'), { absent: true });

    const facts = await activity({ pairId: 'erp', request: { requestedBy: 'ops@example.com', reason: 'again' } });

    expect(facts).toMatchObject({ activeHost: 'ADT-SEC01', decision: { action: 'none', reason: 'ALREADY_FAILED_OVER' } });
  });

  it('refuses to decide on a fence record it cannot read', async () => {
    await state.write(fenceKey('erp'), { epoch: -1 }, { absent: true });

    await expect(activity({ pairId: 'erp' })).rejects.toMatchObject({ code: 'FENCE_RECORD_INVALID' });
  });

  it.each([
    ['a request without its requester', { pairId: 'erp', request: { reason: 'drill' } }, 'request.requestedBy'],
    ['a pair id that cannot be one', { pairId: 'ERP 1' }, 'pairId'],
    ['fields the contract does not have', { pairId: 'erp', force: true }, 'force'],
  ])('refuses %s', async (_case, input, path) => {
    await expect(activity(input as GatherFactsInput)).rejects.toMatchObject({ code: 'ACTIVITY_INPUT_INVALID', message: expect.stringContaining(path) });
  });

  it('refuses a pair that is not configured', async () => {
    await expect(activity({ pairId: 'hr' })).rejects.toMatchObject({ code: 'UNKNOWN_PAIR' });
  });
});
