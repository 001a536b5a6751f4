import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { BlockBlobClient } from '@azure/storage-blob';
import { readFully } from './readFully';

const MAX_BLOCKS = 50_000;

export interface UploadFileBlocksOptions {
  readonly blockSizeBytes: number;
  /** Blocks staged at once; memory holds at most concurrency + 1 blocks. */
  readonly concurrency: number;
  /** The blob's metadata, given the file's SHA-256, which is known only once the last block is read. */
  readonly metadata: (sha256: string) => Record<string, string>;
}

export interface UploadedFile {
  readonly sha256: string;
  readonly etag: string;
}

/**
 * Uploads the first `sizeBytes` of an open file as a block blob, reading the file once: each
 * block is hashed as it is read and staged while the next ones are read. Block staging (rather
 * than uploadStream) lets the commit carry the SHA-256 in its metadata, so the blob appears
 * atomically with its checksum: no reader ever sees a backup without one. The commit is
 * create-only (If-None-Match: *): an existing backup is never overwritten. Blocks staged by an
 * attempt that died before its commit are never visible and the service discards them.
 */
export async function uploadFileBlocks(handle: FileHandle, sizeBytes: number, blob: BlockBlobClient, options: UploadFileBlocksOptions): Promise<UploadedFile> {
  const { concurrency } = options;
  // A block blob holds at most 50,000 blocks: a huge file gets larger blocks rather than failing.
  const blockSizeBytes = Math.max(options.blockSizeBytes, Math.ceil(sizeBytes / MAX_BLOCKS));
  const hash = createHash('sha256');
  const blockIds: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for (let offset = 0; offset < sizeBytes && failure === undefined; ) {
    const block = Buffer.allocUnsafe(Math.min(blockSizeBytes, sizeBytes - offset));
    await readFully(handle, block, offset);
    hash.update(block);
    const id = blockId(blockIds.length);
    blockIds.push(id);
    const staged: Promise<void> = blob.stageBlock(id, block, block.length).then(
      () => void inFlight.delete(staged),
      (error: unknown) => {
        failure ??= { error };
        inFlight.delete(staged);
      },
    );
    inFlight.add(staged);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    offset += block.length;
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure.error;
  const sha256 = hash.digest('hex');
  const committed = await blob.commitBlockList(blockIds, {
    metadata: options.metadata(sha256),
    conditions: { ifNoneMatch: '*' },
    blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
  });
  return { sha256, etag: committed.etag ?? '' };
}

/** Block ids must all have the same length within a blob; six digits cover the service's 50,000 blocks. */
function blockId(index: number): string {
  return Buffer.from(`block-${String(index).padStart(6, '0')}`).toString('base64');
}
