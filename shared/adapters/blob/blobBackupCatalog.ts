import { RestError, type BlobItem, type BlobServiceClient, type ContainerListBlobFlatSegmentResponse } from '@azure/storage-blob';
import { parseBackupName, type ListedBlob } from '../../domain/backupContract';
import { WatchdogError } from '../../domain/errors';
import type { BackupCatalog, NewestListing } from '../../ports/backupCatalog.port';

// Two pages cover a page cut short by the service (it may return fewer results than asked,
// with a continuation) and a burst of foreign names; beyond that the caller gets what was found.
const MAX_LIST_REQUESTS = 2;
const SERVICE_MAX_PAGE = 5_000;
const DEFAULT_FOREIGN_TOLERANCE = 30;

export interface BlobBackupCatalogOptions {
  /**
   * Room on each page for names that are not backups (copies dropped by hand, older naming
   * schemes) that sort ahead of the newest backups. Small: list latency grows with page size.
   */
  readonly foreignTolerance?: number;
}

/**
 * Finds a pair's newest backups from the first page or two of a prefix listing: the backup
 * contract makes names sort newest first, so the whole prefix never has to be listed.
 */
export class BlobBackupCatalog implements BackupCatalog {
  private readonly foreignTolerance: number;

  constructor(
    private readonly service: BlobServiceClient,
    options: BlobBackupCatalogOptions = {},
  ) {
    this.foreignTolerance = options.foreignTolerance ?? DEFAULT_FOREIGN_TOLERANCE;
    if (!Number.isInteger(this.foreignTolerance) || this.foreignTolerance < 0) throw new RangeError('foreignTolerance must be a whole number >= 0');
  }

  async newest(container: string, prefix: string, count: number): Promise<NewestListing> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError('count must be a whole number >= 1');
    const pages = this.service
      .getContainerClient(container)
      .listBlobsFlat({ prefix, includeMetadata: true })
      .byPage({ maxPageSize: Math.min(SERVICE_MAX_PAGE, count + this.foreignTolerance) });
    const blobs: ListedBlob[] = [];
    const foreign: string[] = [];
    for (let listRequests = 1; ; listRequests++) {
      // Each next() on a page iterator that has not reported its end sends exactly one request.
      const page = await nextPage(pages, container, prefix);
      if (page === 'no container') return { blobs: [], foreign: [], listRequests };
      // Foreign names on a page already fetched are reported even past the last backup needed: they cost nothing.
      for (const item of page?.segment.blobItems ?? []) {
        if (parseBackupName(prefix, item.name) === undefined) foreign.push(item.name);
        else if (blobs.length < count) blobs.push(toListedBlob(item));
      }
      if (blobs.length >= count || !page?.continuationToken || listRequests >= MAX_LIST_REQUESTS) return { blobs, foreign, listRequests };
    }
  }
}

async function nextPage(
  pages: AsyncIterableIterator<ContainerListBlobFlatSegmentResponse>,
  container: string,
  prefix: string,
): Promise<ContainerListBlobFlatSegmentResponse | undefined | 'no container'> {
  try {
    const result = await pages.next();
    return result.done === true ? undefined : result.value;
  } catch (error) {
    // A fresh deployment has no backup container until the first backup is shipped.
    if (error instanceof RestError && error.code === 'ContainerNotFound') return 'no container';
    const status: Record<string, number> = error instanceof RestError && error.statusCode !== undefined ? { status: error.statusCode } : {};
    throw new WatchdogError('BACKUP_LIST_FAILED', `Listing backups in "${container}" under "${prefix}" failed`, { container, prefix, ...status }, { cause: error });
  }
}

function toListedBlob(item: BlobItem): ListedBlob {
  // Metadata keeps the case it was written with; the contract reads lower-case keys.
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(item.metadata ?? {})) metadata[key.toLowerCase()] = value;
  return {
    name: item.name,
    contentLength: item.properties.contentLength ?? 0,
    lastModified: item.properties.lastModified,
    metadata,
  };
}
