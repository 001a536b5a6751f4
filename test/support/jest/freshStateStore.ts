import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import { testStorage, type TestStorage } from '../azurite';

/**
 * Registers the hooks that give each test its own state store on Azurite: a new container named
 * `<prefix>-<uuid>`, so no record leaks between tests. Read `.current` inside a test or a later
 * beforeEach (hooks run in the order they were registered).
 */
export function useFreshStateStore(prefix: string): { readonly current: BlobStateStore } {
  let storage: TestStorage;
  let service: BlobServiceClient;
  let current: BlobStateStore | undefined;
  beforeAll(async () => {
    storage = await testStorage();
    service = BlobServiceClient.fromConnectionString(storage.connectionString);
  });
  afterAll(async () => {
    await storage.release();
  });
  beforeEach(() => {
    current = new BlobStateStore(service.getContainerClient(`${prefix}-${randomUUID()}`));
  });
  return {
    get current(): BlobStateStore {
      if (current === undefined) throw new Error('useFreshStateStore: read .current inside a test or a beforeEach registered after it');
      return current;
    },
  };
}
