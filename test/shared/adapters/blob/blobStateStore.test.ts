import { randomUUID } from 'node:crypto';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { createBlobServiceClient } from '../../../../shared/adapters/blob/blobServiceClient';
import { BlobStateStore } from '../../../../shared/adapters/blob/blobStateStore';
import { WatchdogError } from '../../../../shared/domain/errors';
import { testStorage, type TestStorage } from '../../../support/azurite';

interface Counter {
  readonly stale: number;
}

let storage: TestStorage;
let service: BlobServiceClient;
let container: ContainerClient;
let store: BlobStateStore;

beforeAll(async () => {
  storage = await testStorage();
  service = createBlobServiceClient({ kind: 'connectionString', connectionString: storage.connectionString });
});

beforeEach(() => {
  // A container of its own per test: the state store must create it, and no test sees another's records.
  container = service.getContainerClient(`state-${randomUUID()}`);
  store = new BlobStateStore(container);
});

afterAll(async () => {
  await storage.release();
});

describe('BlobStateStore', () => {
  it('reads an absent key as undefined, even before its container exists', async () => {
    await expect(store.read('pairs/erp/heartbeat')).resolves.toBeUndefined();
  });

  it('creates the container on the first write and reads back the value with the etag it was written at', async () => {
    const written = await store.write<Counter>('pairs/erp/heartbeat', { stale: 1 }, { absent: true });

    const read = await store.read<Counter>('pairs/erp/heartbeat');

    expect(written.ok).toBe(true);
    expect(read).toEqual({ value: { stale: 1 }, etag: written.ok ? written.etag : 'none' });
  });

  it('stores each record as <key>.json with content type application/json', async () => {
    await store.write('pairs/erp/epoch', { epoch: 3 }, { absent: true });

    const properties = await container.getBlockBlobClient('pairs/erp/epoch.json').getProperties();

    expect(properties.contentType).toBe('application/json');
  });

  it('refuses a create-only write when the record already exists', async () => {
    await store.write<Counter>('maintenance', { stale: 1 }, { absent: true });

    const second = await store.write<Counter>('maintenance', { stale: 2 }, { absent: true });

    expect(second).toEqual({ ok: false, reason: 'conflict' });
    expect((await store.read<Counter>('maintenance'))?.value).toEqual({ stale: 1 });
  });

  it('replaces a record written at the etag it was read at', async () => {
    const first = await store.write<Counter>('count', { stale: 1 }, { absent: true });
    if (!first.ok) throw new Error('setup write failed');

    const second = await store.write<Counter>('count', { stale: 2 }, { etag: first.etag });

    expect(second.ok).toBe(true);
    expect((await store.read<Counter>('count'))?.value).toEqual({ stale: 2 });
  });

  it('reports a conflict for a write with a stale etag and keeps the newer value', async () => {
    const first = await store.write<Counter>('count', { stale: 1 }, { absent: true });
    if (!first.ok) throw new Error('setup write failed');
    await store.write<Counter>('count', { stale: 2 }, { etag: first.etag });

    const stale = await store.write<Counter>('count', { stale: 99 }, { etag: first.etag });

    expect(stale).toEqual({ ok: false, reason: 'conflict' });
    expect((await store.read<Counter>('count'))?.value).toEqual({ stale: 2 });
  });

  it('lets exactly one of two concurrent writers holding the same etag win', async () => {
    const first = await store.write<Counter>('epoch', { stale: 0 }, { absent: true });
    if (!first.ok) throw new Error('setup write failed');

    const results = await Promise.all([
      store.write<Counter>('epoch', { stale: 1 }, { etag: first.etag }),
      new BlobStateStore(container).write<Counter>('epoch', { stale: 2 }, { etag: first.etag }),
    ]);

    const winners = results.flatMap((r, i) => (r.ok ? [i + 1] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'conflict' }]);
    expect((await store.read<Counter>('epoch'))?.value).toEqual({ stale: winners[0] });
  });

  it('lets exactly one of two concurrent create-only writers win', async () => {
    const results = await Promise.all([
      store.write<Counter>('audit/failover-1', { stale: 1 }, { absent: true }),
      new BlobStateStore(container).write<Counter>('audit/failover-1', { stale: 2 }, { absent: true }),
    ]);

    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'conflict' }]);
  });

  it('throws STATE_CORRUPT naming the key when a record is not valid JSON', async () => {
    await store.write('pairs/erp/heartbeat', { stale: 1 }, { absent: true });
    await container.getBlockBlobClient('pairs/erp/heartbeat.json').upload('{"stale":', 9);

    const error = await store.read('pairs/erp/heartbeat').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WatchdogError);
    expect(error).toMatchObject({ code: 'STATE_CORRUPT', meta: { key: 'pairs/erp/heartbeat' } });
    expect((error as Error).message).toContain('pairs/erp/heartbeat');
  });

  it.each([
    ['that is empty', ''],
    ['with a parent reference', 'pairs/../secrets'],
    ['with an empty segment', 'pairs//erp'],
    ['with a leading slash', '/pairs/erp'],
    ['with a space', 'pairs/erp one'],
    ['with a query character', 'pairs/erp?x=1'],
    ['with a backslash', 'pairs\\erp'],
    ['with a lone dot segment', 'pairs/./erp'],
    ['longer than 512 characters', 'k'.repeat(513)],
  ])('rejects a key %s, for reads and writes alike', async (_case, key) => {
    await expect(store.read(key)).rejects.toMatchObject({ code: 'STATE_KEY_INVALID' });
    await expect(store.write(key, {}, { absent: true })).rejects.toMatchObject({ code: 'STATE_KEY_INVALID' });
  });

  it('throws STATE_WRITE_FAILED with the cause, and no secret, when storage refuses a write for another reason than a race', async () => {
    await store.write('leased', { stale: 1 }, { absent: true });
    const lease = container.getBlockBlobClient('leased.json').getBlobLeaseClient();
    await lease.acquireLease(15);
    try {
      const first = await store.read('leased');

      const error = await store.write('leased', { stale: 2 }, { etag: first?.etag ?? '' }).catch((e: unknown) => e);

      expect(error).toMatchObject({ code: 'STATE_WRITE_FAILED', meta: { key: 'leased', status: 412, storageCode: 'LeaseIdMissing' } });
      expect((error as Error).cause).toBeDefined();
      const accountKey = /AccountKey=([^;]+)/.exec(storage.connectionString)?.[1] ?? 'no key';
      expect(JSON.stringify({ message: (error as WatchdogError).message, meta: (error as WatchdogError).meta })).not.toContain(accountKey);
    } finally {
      await lease.releaseLease();
    }
  });
});
