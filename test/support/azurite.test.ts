import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, testStorage, TEST_AZURITE_ENV, type AzuriteInstance } from './azurite';

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let azurite: AzuriteInstance;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite.stop();
});

describe('startAzurite', () => {
  it('serves blobs on a random loopback port announced in its endpoint and connection string', () => {
    expect(azurite.port).toBeGreaterThan(0);
    expect(azurite.blobEndpoint).toBe(`http://127.0.0.1:${azurite.port}/devstoreaccount1`);
    expect(azurite.connectionString).toContain(`BlobEndpoint=${azurite.blobEndpoint};`);
  });

  it('lets the real client create a container and round-trip a blob', async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = service.getContainerClient('round-trip');
    await container.create();
    await container.getBlockBlobClient('hello.txt').upload('hello', 5);

    const body = await container.getBlockBlobClient('hello.txt').downloadToBuffer();

    expect(body.toString('utf8')).toBe('hello');
  });

  it('stops listening once stopped, and a second stop is harmless', async () => {
    const own = await startAzurite();
    expect(await portAccepts(own.port)).toBe(true);

    await own.stop();
    await own.stop();

    expect(await portAccepts(own.port)).toBe(false);
  });

  it("fails with Azurite's own reason when it exits before listening", async () => {
    const location = await mkdtemp(join(tmpdir(), 'azurite-test-'));
    try {
      await writeFile(join(location, '__azurite_db_blob__.json'), '{not json');

      await expect(startAzurite({ location })).rejects.toThrow(/exited before listening.*JSON/);
    } finally {
      await rm(location, { recursive: true, force: true });
    }
  });

  it('keeps blobs across a restart when given a location, and leaves that folder to its owner', async () => {
    const location = await mkdtemp(join(tmpdir(), 'azurite-test-'));
    try {
      const first = await startAzurite({ location });
      const container = BlobServiceClient.fromConnectionString(first.connectionString).getContainerClient('kept');
      await container.create();
      await container.getBlockBlobClient('kept.txt').upload('kept', 4);
      await first.stop();

      const second = await startAzurite({ location });
      try {
        const body = await BlobServiceClient.fromConnectionString(second.connectionString).getContainerClient('kept').getBlockBlobClient('kept.txt').downloadToBuffer();
        expect(body.toString('utf8')).toBe('kept');
      } finally {
        await second.stop();
      }
      expect(await readdir(location)).toContain('__azurite_db_blob__.json');
    } finally {
      await rm(location, { recursive: true, force: true });
    }
  });
});

describe('testStorage', () => {
  const published = process.env[TEST_AZURITE_ENV];

  afterEach(() => {
    if (published === undefined) delete process.env[TEST_AZURITE_ENV];
    else process.env[TEST_AZURITE_ENV] = published;
  });

  it('hands out the published run-wide instance, and releasing it leaves that instance running', async () => {
    process.env[TEST_AZURITE_ENV] = azurite.connectionString;

    const storage = await testStorage();
    await storage.release();

    expect(storage.connectionString).toBe(azurite.connectionString);
    expect(await portAccepts(azurite.port)).toBe(true);
  });

  it('starts a private instance when none was published, and releasing it stops that instance', async () => {
    delete process.env[TEST_AZURITE_ENV];

    const storage = await testStorage();
    const port = Number(/127\.0\.0\.1:(\d+)\//.exec(storage.connectionString)?.[1]);
    expect(await portAccepts(port)).toBe(true);
    await storage.release();

    expect(port).not.toBe(azurite.port);
    expect(await portAccepts(port)).toBe(false);
  });
});
