import { createHash, randomUUID } from 'node:crypto';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { BlobBackupCatalog } from '../../../../shared/adapters/blob/blobBackupCatalog';
import { createBlobServiceClient } from '../../../../shared/adapters/blob/blobServiceClient';
import { backupBlobName, backupMetadata, readBackupRecord } from '../../../../shared/domain/backupContract';
import { testStorage, type TestStorage } from '../../../support/azurite';

const BODY = Buffer.from('x');
const SHA256 = createHash('sha256').update(BODY).digest('hex');
const NEWEST = Date.parse('2026-11-22T03:00:00Z');
const HOUR = 3_600_000;

/** Backups taken hourly back from NEWEST; index 0 is the newest. */
function takenAt(index: number): Date {
  return new Date(NEWEST - index * HOUR);
}

async function uploadAll(container: ContainerClient, blobs: ReadonlyArray<{ name: string; metadata?: Record<string, string> }>): Promise<void> {
  const queue = [...blobs];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      await container.getBlockBlobClient(next.name).upload(BODY, BODY.length, next.metadata ? { metadata: next.metadata } : {});
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

function backups(prefix: string, pairId: string, indexes: readonly number[], machine = 'ADT-PRI01') {
  return indexes.map((i) => ({
    name: backupBlobName(prefix, takenAt(i), machine),
    metadata: backupMetadata({ pairId, sourceMachine: machine, takenAt: takenAt(i), sizeBytes: BODY.length, sha256: SHA256 }),
  }));
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** An HTTP relay in front of Azurite that counts the list requests which really reach the wire. */
async function listCountingRelay(connectionString: string): Promise<{ connectionString: string; listRequests(): number; close(): void }> {
  const target = new URL(/BlobEndpoint=([^;]+)/.exec(connectionString)?.[1] ?? '');
  const agent = new Agent({ keepAlive: true });
  let lists = 0;
  const server: Server = createServer((req, res) => {
    if (/[?&]comp=list\b/.test(req.url ?? '')) lists += 1;
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    connectionString: connectionString.replace(target.origin, `http://127.0.0.1:${port}`),
    listRequests: () => lists,
    close: () => {
      server.closeAllConnections();
      server.close();
      agent.destroy();
    },
  };
}

let storage: TestStorage;
let service: BlobServiceClient;
let catalog: BlobBackupCatalog;
let containerName: string;
let container: ContainerClient;

beforeAll(async () => {
  storage = await testStorage();
  service = createBlobServiceClient({ kind: 'connectionString', connectionString: storage.connectionString });
  catalog = new BlobBackupCatalog(service);
});

beforeEach(async () => {
  containerName = `backups-${randomUUID()}`;
  container = service.getContainerClient(containerName);
  await container.create();
});

afterAll(async () => {
  await storage.release();
});

describe('BlobBackupCatalog', () => {
  it('finds the two newest of 200 backups, newest first, in at most two list requests counted on the wire', async () => {
    await uploadAll(container, backups('erp/', 'erp', range(200)));
    const relay = await listCountingRelay(storage.connectionString);
    try {
      const relayed = new BlobBackupCatalog(createBlobServiceClient({ kind: 'connectionString', connectionString: relay.connectionString }));

      const listing = await relayed.newest(containerName, 'erp/', 2);

      expect(listing.blobs.map((b) => b.name)).toEqual([backupBlobName('erp/', takenAt(0), 'ADT-PRI01'), backupBlobName('erp/', takenAt(1), 'ADT-PRI01')]);
      expect(listing.listRequests).toBeLessThanOrEqual(2);
      expect(listing.listRequests).toBe(relay.listRequests());
      expect(listing.foreign).toEqual([]);
    } finally {
      relay.close();
    }
  });

  it('reports names that break the contract as foreign and never returns them', async () => {
    const valid = backupBlobName('erp/', takenAt(5), 'ADT-PRI01');
    const foreign = [
      'erp/0000000000000_manual-copy.bak',
      'erp/0-restore-test.bak',
      // Right shape, but the readable stamp disagrees with the sortable part.
      valid.replace('_20261121T', '_20251121T'),
      `erp/nested/${valid.slice('erp/'.length)}`,
      'erp/readme.txt',
    ];
    await uploadAll(container, [...backups('erp/', 'erp', [0, 1, 2]), ...foreign.map((name) => ({ name }))]);

    const listing = await catalog.newest(containerName, 'erp/', 2);

    expect(listing.blobs.map((b) => b.name)).toEqual([backupBlobName('erp/', takenAt(0), 'ADT-PRI01'), backupBlobName('erp/', takenAt(1), 'ADT-PRI01')]);
    expect([...listing.foreign].sort()).toEqual([...foreign].sort());
  });

  it('returns only what the first two pages hold when foreign names crowd out the backups', async () => {
    const crowd = range(5).map((i) => `erp/0${i}-hand-made.bak`);
    await uploadAll(container, [...backups('erp/', 'erp', [0, 1]), ...crowd.map((name) => ({ name }))]);
    const strict = new BlobBackupCatalog(service, { foreignTolerance: 0 });

    const listing = await strict.newest(containerName, 'erp/', 2);

    expect(listing).toEqual({ blobs: [], foreign: crowd.slice(0, 4), listRequests: 2 });
  });

  it('returns the fewer backups a pair has after a single list request', async () => {
    await uploadAll(container, backups('erp/', 'erp', [7]));

    const listing = await catalog.newest(containerName, 'erp/', 2);

    expect(listing.blobs.map((b) => b.name)).toEqual([backupBlobName('erp/', takenAt(7), 'ADT-PRI01')]);
    expect(listing.listRequests).toBe(1);
  });

  it('never mixes in backups of another pair whose prefix starts the same way', async () => {
    await uploadAll(container, [
      ...backups('erp/', 'erp', [10, 11, 12]),
      ...backups('erp-eu/', 'erp-eu', [0, 1, 2], 'ADT-EU01'),
    ]);

    const listing = await catalog.newest(containerName, 'erp-eu/', 2);

    expect(listing.blobs.map((b) => b.name)).toEqual([backupBlobName('erp-eu/', takenAt(0), 'ADT-EU01'), backupBlobName('erp-eu/', takenAt(1), 'ADT-EU01')]);
    expect(listing.foreign).toEqual([]);
  });

  it('returns an empty listing, not an error, when the container does not exist yet', async () => {
    const listing = await catalog.newest(`never-created-${randomUUID()}`, 'erp/', 2);

    expect(listing).toEqual({ blobs: [], foreign: [], listRequests: 1 });
  });

  it('reports any other listing failure as BACKUP_LIST_FAILED with the status and the cause', async () => {
    const error = await catalog.newest('Not_A_Container', 'erp/', 2).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'BACKUP_LIST_FAILED', meta: { container: 'Not_A_Container', prefix: 'erp/', status: 400 } });
    expect((error as Error).cause).toBeDefined();
  });

  it('hands back metadata with lower-case keys, which readBackupRecord accepts without problems', async () => {
    const [newest, older] = backups('erp/', 'erp', [0, 1]);
    // A writer may use any case: storage keeps it, and lists it back as written.
    const shouting = Object.fromEntries(Object.entries(newest!.metadata).map(([k, v]) => [k.toUpperCase(), v]));
    await uploadAll(container, [{ name: newest!.name, metadata: shouting }, older!]);

    const listing = await catalog.newest(containerName, 'erp/', 2);

    expect(listing.blobs).toHaveLength(2);
    for (const blob of listing.blobs) {
      expect(Object.keys(blob.metadata).every((k) => k === k.toLowerCase())).toBe(true);
      expect(blob.contentLength).toBe(1);
      expect(readBackupRecord('erp/', 'erp', blob)).toMatchObject({ name: blob.name, sha256: SHA256, sourceMachine: 'ADT-PRI01', problems: [] });
    }
  });
});
