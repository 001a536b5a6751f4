import { AnonymousCredential, ContainerClient, type StorageRetryOptions } from '@azure/storage-blob';
import { createBlobServiceClient } from '../../shared/adapters/blob/blobServiceClient';
import { BlobStateStore } from '../../shared/adapters/blob/blobStateStore';
import { fenceKey, fenceRecordSchema, type FenceRecord } from '../../shared/contracts/fenceRecord';
import { WatchdogError } from '../../shared/domain/errors';
import type { StateStore } from '../../shared/ports/stateStore.port';
import type { AgentConfig } from '../config/agentConfig';
import type { FenceReader } from '../core/fenceReader.port';

/**
 * The fence record as the watchdog writes it (`pairs/<id>/fence.json` in its state container),
 * read through the same state store so both sides agree on naming. A record that does not match
 * the contract, or names another pair, is an error: guessing would decide who may run adTempus.
 */
export class BlobFenceReader implements FenceReader {
  constructor(private readonly store: StateStore) {}

  async read(pairId: string): Promise<FenceRecord | undefined> {
    const read = await this.store.read<unknown>(fenceKey(pairId));
    if (read === undefined) return undefined;
    const parsed = fenceRecordSchema.safeParse(read.value);
    if (!parsed.success) throw new WatchdogError('FENCE_RECORD_INVALID', `The fence record of pair ${pairId} does not match the contract`, { pairId });
    if (parsed.data.pairId !== pairId) throw new WatchdogError('FENCE_RECORD_INVALID', `The fence record of pair ${pairId} names another pair`, { pairId });
    return parsed.data;
  }
}

/**
 * The agent asks on every command and must answer within the command's patience: two quick tries
 * rather than the watchdog's three slower ones. A failure fails closed, so it cannot start anything.
 */
export const FENCE_RETRY_OPTIONS: StorageRetryOptions = Object.freeze({ maxTries: 2, tryTimeoutInMs: 5_000, retryDelayInMs: 200, maxRetryDelayInMs: 500 });

export function createFenceReader(fence: AgentConfig['fence'], retry: StorageRetryOptions = FENCE_RETRY_OPTIONS): FenceReader {
  const source = fence.source;
  let container: ContainerClient;
  if (source.kind === 'containerSasUrl') {
    // The SAS URL names the container; the SDK keeps its token out of its error messages.
    container = new ContainerClient(source.containerSasUrl, new AnonymousCredential(), { retryOptions: retry, userAgentOptions: { userAgentPrefix: 'adtempus-agent' } });
  } else {
    const service = createBlobServiceClient(
      source.kind === 'connectionString'
        ? { kind: 'connectionString', connectionString: source.connectionString }
        : { kind: 'identity', blobServiceUri: source.blobServiceUri, ...(source.clientId !== undefined ? { clientId: source.clientId } : {}) },
      { retry },
    );
    container = service.getContainerClient(fence.container);
  }
  return new BlobFenceReader(new BlobStateStore(container));
}
