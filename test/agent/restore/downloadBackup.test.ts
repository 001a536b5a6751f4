import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobSASPermissions, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
import { AgentError } from '../../../agent/agentErrors';
import { downloadAndVerify, redactSasUrl, type DownloadAndVerifyOptions } from '../../../agent/restore/downloadBackup';
import { createBlobServiceClient } from '../../../shared/adapters/blob/blobServiceClient';
import { testStorage, type TestStorage } from '../../support/azurite';

const BLOB_NAME = 'payroll/8204683599876_20261122T030000Z_ADT-PAY-PRI.bak';
const FILE_NAME = '8204683599876_20261122T030000Z_ADT-PAY-PRI.bak';
const BODY = randomBytes(3 * 1024 * 1024 + 11);
const sha256Of = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const SHA256 = sha256Of(BODY);
const HOUR = 3_600_000;

let storage: TestStorage;
let container: ContainerClient;
let blob: BlockBlobClient;
let dir: string;

beforeAll(async () => {
  storage = await testStorage();
  container = createBlobServiceClient({ kind: 'connectionString', connectionString: storage.connectionString }).getContainerClient(`restore-${randomUUID()}`);
  await container.create();
  blob = container.getBlockBlobClient(BLOB_NAME);
  await blob.uploadData(BODY);
});

afterAll(async () => {
  await container.deleteIfExists();
  await storage.release();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restore-download-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function readSas(expiresOn = new Date(Date.now() + HOUR), target: BlockBlobClient = blob): Promise<string> {
  return target.generateSasUrl({ permissions: BlobSASPermissions.parse('r'), startsOn: new Date(Date.now() - HOUR), expiresOn });
}

async function download(overrides: Partial<DownloadAndVerifyOptions> = {}): ReturnType<typeof downloadAndVerify> {
  return downloadAndVerify({ sasUrl: await readSas(), expectedSha256: SHA256, expectedSizeBytes: BODY.length, directory: dir, ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<AgentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AgentError)) throw new Error(`expected an AgentError, got ${String(error)}`);
  return error;
}

/** An HTTP server that counts requests and answers none usefully: proof that nothing was fetched. */
async function countingServer(): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/devstoreaccount1/c/${FILE_NAME}?sv=2025-01-05&sig=secret`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('downloadAndVerify', () => {
  it('downloads the backup through a read-only SAS, verifies it, and names it after the blob', async () => {
    const progress: [number, number][] = [];

    const result = await download({ onProgress: (bytes, total) => progress.push([bytes, total]), progressIntervalMs: 0 });

    expect(result).toMatchObject({ file: join(dir, FILE_NAME), sizeBytes: BODY.length, sha256: SHA256, reused: false });
    // Compared as hashes: jest compares large Buffers byte by byte, which takes seconds.
    expect(sha256Of(await readFile(result.file))).toBe(SHA256);
    expect(await readdir(dir)).toEqual([FILE_NAME]);
    expect(progress.at(-1)).toEqual([BODY.length, BODY.length]);
    expect(progress.every(([bytes, total], i) => total === BODY.length && bytes >= (progress[i - 1]?.[0] ?? 0))).toBe(true);
  });

  it('reports progress at a bounded rate: with a long interval only the final figure arrives', async () => {
    const progress: [number, number][] = [];

    await download({ onProgress: (bytes, total) => progress.push([bytes, total]), progressIntervalMs: 3_600_000 });

    expect(progress).toEqual([[BODY.length, BODY.length]]);
  });

  it('deletes the download and fails with CHECKSUM_MISMATCH when the SHA-256 differs from the metadata', async () => {
    const error = await failure(download({ expectedSha256: 'ab'.repeat(32) }));

    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.meta).toEqual({ expectedSha256: 'ab'.repeat(32), actualSha256: SHA256 });
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails with SIZE_MISMATCH and keeps nothing when the blob is not the expected size', async () => {
    const error = await failure(download({ expectedSizeBytes: BODY.length - 1 }));

    expect(error.code).toBe('SIZE_MISMATCH');
    expect(error.meta).toEqual({ expectedBytes: BODY.length - 1, actualBytes: BODY.length });
    expect(await readdir(dir)).toEqual([]);
  });

  it('reassembles in order a backup larger than several of its 8 MiB write slots', async () => {
    const large = randomBytes(2 * 8 * 1024 * 1024 + 1024 * 1024 + 5);
    const largeBlob = container.getBlockBlobClient('payroll/large.bak');
    await largeBlob.uploadData(large, { blockSize: 4 * 1024 * 1024 });
    try {
      const result = await download({ sasUrl: await readSas(undefined, largeBlob), expectedSha256: sha256Of(large), expectedSizeBytes: large.length });

      expect(result).toMatchObject({ file: join(dir, 'large.bak'), sizeBytes: large.length, sha256: sha256Of(large) });
      expect(sha256Of(await readFile(result.file))).toBe(sha256Of(large));
    } finally {
      await largeBlob.delete();
    }
  });

  it('fails with DOWNLOAD_FAILED and leaves no partial file when aborted mid-way', async () => {
    const abort = new AbortController();

    const abortAfterFirstBytes = (bytes: number): void => {
      if (bytes > 0 && bytes < BODY.length) abort.abort();
    };

    const error = await failure(download({ abortSignal: abort.signal, onProgress: abortAfterFirstBytes, progressIntervalMs: 0 }));

    expect(error.code).toBe('DOWNLOAD_FAILED');
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    ['an expired SAS', async () => readSas(new Date(Date.now() - 60_000))],
    ['a tampered SAS', async () => (await readSas()).replace(/sig=[^&]+/, 'sig=AAAA' + 'A'.repeat(40))],
    ['a SAS for another blob', async () => (await readSas(undefined, container.getBlockBlobClient('payroll/other.bak'))).replace('payroll/other.bak', BLOB_NAME)],
  ])('fails with SAS_REJECTED on %s, and no error text carries the token', async (_case, sas) => {
    const sasUrl = await sas();

    const error = await failure(download({ sasUrl }));

    expect(error.code).toBe('SAS_REJECTED');
    expect(error.meta).toMatchObject({ status: 403 });
    const everything = JSON.stringify({ message: error.message, meta: error.meta, cause: String(error.cause) });
    expect(everything).not.toContain('sig=');
    expect(everything).not.toContain(new URL(sasUrl).searchParams.get('sig'));
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails with BLOB_NOT_FOUND when the blob is gone', async () => {
    const sasUrl = await readSas(undefined, container.getBlockBlobClient('payroll/deleted.bak'));

    const error = await failure(download({ sasUrl }));

    expect(error.code).toBe('BLOB_NOT_FOUND');
  });

  it('refuses with INSUFFICIENT_DISK before sending any request when the disk cannot hold the backup and the margin', async () => {
    const server = await countingServer();
    try {
      const error = await failure(download({ sasUrl: server.url, freeBytes: async () => BODY.length + 99, minFreeBytes: 100 }));

      expect(error.code).toBe('INSUFFICIENT_DISK');
      expect(error.meta).toEqual({ freeBytes: BODY.length + 99, neededBytes: BODY.length + 100 });
      expect(server.requests()).toBe(0);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('goes ahead when the backup and the margin fit exactly', async () => {
    const result = await download({ freeBytes: async () => BODY.length + 100, minFreeBytes: 100 });

    expect(result.reused).toBe(false);
  });

  it('reuses a verified file left by an earlier attempt without downloading it again', async () => {
    await download();
    const server = await countingServer();
    try {
      const again = await download({ sasUrl: server.url });

      expect(again).toMatchObject({ file: join(dir, FILE_NAME), reused: true, sha256: SHA256 });
      expect(server.requests()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it.each([
    ['plain HTTP to a remote host', 'http://acct.blob.core.windows.net/c/x.bak?sv=2025-01-05&sig=secret'],
    ['no URL at all', 'acct.blob.core.windows.net/c/x.bak?sv=2025-01-05&sig=secret'],
  ])('refuses a SAS URL with %s, without quoting it', async (_case, sasUrl) => {
    const error = await failure(download({ sasUrl }));

    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(JSON.stringify({ message: error.message, meta: error.meta })).not.toContain('secret');
  });

  it('refuses a file name that could leave the directory', async () => {
    const error = await failure(download({ fileName: '../escape.bak' }));

    expect(error.code).toBe('INVALID_ARGUMENT');
  });

  it('hides the query string of a SAS URL, which holds the token', () => {
    expect(redactSasUrl('https://acct.blob.core.windows.net/c/p/x.bak?sv=2025-01-05&sp=r&sig=abc%3D')).toBe('https://acct.blob.core.windows.net/c/p/x.bak');
  });
});
