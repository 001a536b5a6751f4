import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, StorageRetryPolicyType, type StoragePipelineOptions, type StorageRetryOptions } from '@azure/storage-blob';
import type { StorageConfig } from '../../config/loadConfig';
import { WatchdogError } from '../../domain/errors';

/**
 * The monitors poll every few tens of seconds and the next tick retries anyway, so a storage
 * call should give up well inside one polling interval (3 tries of at most 5 s, about 16 s in
 * the worst case) rather than stack up behind the SDK's defaults (4 tries, no per-try timeout).
 */
export const BLOB_RETRY_OPTIONS: StorageRetryOptions = Object.freeze({
  retryPolicyType: StorageRetryPolicyType.EXPONENTIAL,
  maxTries: 3,
  tryTimeoutInMs: 5_000,
  retryDelayInMs: 200,
  maxRetryDelayInMs: 1_000,
});

export interface BlobServiceClientOptions {
  /** Replaces single retry settings (benchmarks and tests that provoke failures). */
  readonly retry?: StorageRetryOptions;
  /** For identity-based storage; defaults to the managed identity named by clientId, else DefaultAzureCredential. */
  readonly credential?: TokenCredential;
}

export function createBlobServiceClient(storage: StorageConfig, options: BlobServiceClientOptions = {}): BlobServiceClient {
  // A fresh object per call: fromConnectionString writes proxy settings into the options it is given.
  const pipeline: StoragePipelineOptions = {
    retryOptions: { ...BLOB_RETRY_OPTIONS, ...options.retry },
    userAgentOptions: { userAgentPrefix: 'adtempus-watchdog' },
  };
  if (storage.kind === 'connectionString') {
    try {
      return BlobServiceClient.fromConnectionString(storage.connectionString, pipeline);
    } catch (error) {
      // The SDK's messages name the faulty part, never its value; ours must not quote the string either.
      throw new WatchdogError('STORAGE_CONFIG_INVALID', 'The storage connection string cannot be used', {}, { cause: error });
    }
  }
  const credential =
    options.credential ??
    (storage.clientId !== undefined ? new ManagedIdentityCredential({ clientId: storage.clientId }) : new DefaultAzureCredential());
  return new BlobServiceClient(storage.blobServiceUri, credential, pipeline);
}
