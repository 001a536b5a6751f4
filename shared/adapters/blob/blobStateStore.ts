import { RestError, type ContainerClient } from '@azure/storage-blob';
import { WatchdogError } from '../../domain/errors';
import type { StateStore, Versioned, WriteCondition, WriteResult } from '../../ports/stateStore.port';

const SEGMENT = /^[A-Za-z0-9._-]+$/;
// Blob names may be 1,024 characters; a shorter cap leaves room for any prefix added later.
const MAX_KEY_LENGTH = 512;

/**
 * Watchdog state as one JSON blob per key (`<key>.json`) in one container. Every write is
 * conditional on the ETag (or on absence), so two executions can never overwrite each other.
 */
export class BlobStateStore implements StateStore {
  private containerReady: Promise<void> | undefined;

  constructor(private readonly container: ContainerClient) {}

  async read<T>(key: string): Promise<Versioned<T> | undefined> {
    const blob = this.container.getBlockBlobClient(blobName(key));
    let text: string;
    let etag: string;
    try {
      const response = await blob.download();
      text = await readText(response.readableStreamBody);
      etag = response.etag ?? '';
    } catch (error) {
      // A fresh deployment has neither the container nor the record: both mean "never written".
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw new WatchdogError('STATE_READ_FAILED', `Reading state "${key}" failed`, { key, ...statusOf(error) }, { cause: error });
    }
    try {
      return { value: JSON.parse(text) as T, etag };
    } catch (error) {
      throw new WatchdogError('STATE_CORRUPT', `State "${key}" is not valid JSON`, { key }, { cause: error });
    }
  }

  async write<T>(key: string, value: T, condition: WriteCondition): Promise<WriteResult> {
    const blob = this.container.getBlockBlobClient(blobName(key));
    const body = JSON.stringify(value);
    if (body === undefined) throw new WatchdogError('STATE_WRITE_FAILED', `State "${key}" has no JSON form`, { key });
    await this.ensureContainer();
    try {
      const response = await blob.upload(body, Buffer.byteLength(body), {
        conditions: 'etag' in condition ? { ifMatch: condition.etag } : { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
      return { ok: true, etag: response.etag ?? '' };
    } catch (error) {
      if (isConflict(error)) return { ok: false, reason: 'conflict' };
      if (error instanceof RestError && error.code === 'ContainerNotFound') this.containerReady = undefined;
      throw new WatchdogError('STATE_WRITE_FAILED', `Writing state "${key}" failed`, { key, ...statusOf(error) }, { cause: error });
    }
  }

  /** Single-flight: concurrent first writes share one create call; a failed one is retried by the next write. */
  private ensureContainer(): Promise<void> {
    this.containerReady ??= this.container.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        this.containerReady = undefined;
        throw new WatchdogError('STATE_WRITE_FAILED', `Creating the state container "${this.container.containerName}" failed`, statusOf(error), {
          cause: error,
        });
      },
    );
    return this.containerReady;
  }
}

/** Validates the key here, so a key can never climb out of the state container's namespace. */
function blobName(key: string): string {
  const segments = key.split('/');
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || key.includes('..') || !segments.every((s) => SEGMENT.test(s) && s !== '.')) {
    throw new WatchdogError(
      'STATE_KEY_INVALID',
      'A state key must be "/"-separated segments of letters, digits, ".", "_" and "-", without ".." and at most 512 characters',
      { key: key.slice(0, MAX_KEY_LENGTH) },
    );
  }
  return `${key}.json`;
}

/**
 * 412 is a lost ETag race (or If-Match on a record deleted meanwhile); 409 BlobAlreadyExists is
 * what a create-only write meets. A lease refusal is also 412 but re-reading cannot fix it.
 */
function isConflict(error: unknown): boolean {
  if (!(error instanceof RestError)) return false;
  if (error.statusCode === 412) return !String(error.code ?? '').startsWith('Lease');
  return error.statusCode === 409 && error.code === 'BlobAlreadyExists';
}

function statusOf(error: unknown): Record<string, string | number> {
  if (!(error instanceof RestError)) return {};
  return { ...(error.statusCode !== undefined ? { status: error.statusCode } : {}), ...(error.code ? { storageCode: error.code } : {}) };
}

async function readText(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (stream === undefined) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
