import type { TokenCredential } from '@azure/identity';
import {
  BlobSASPermissions,
  RestError,
  SASProtocol,
  StorageSharedKeyCredential,
  type BlobGenerateSasUrlOptions,
  type BlobItem,
  type BlobServiceClient,
  type ContainerListBlobFlatSegmentResponse,
} from '@azure/storage-blob';
import { parseBackupName, type ListedBlob } from '../../domain/backupContract';
import { WatchdogError } from '../../domain/errors';
import type { BackupCatalog, NewestListing } from '../../ports/backupCatalog.port';

// Two pages cover a page cut short by the service (it may return fewer results than asked,
// with a continuation) and a burst of foreign names; beyond that the caller gets what was found.
const MAX_LIST_REQUESTS = 2;
const SERVICE_MAX_PAGE = 5_000;
const DEFAULT_FOREIGN_TOLERANCE = 30;
/** A user delegation key lives at most 7 days; a restore's URL needs hours at most. */
const MAX_URL_LIFETIME_MS = 7 * 24 * 3_600_000;
/** The delegation key starts a little in the past, so a storage clock behind ours still accepts it. */
const KEY_START_SKEW_MS = 5 * 60_000;

export interface BlobBackupCatalogOptions {
  /**
   * Room on each page for names that are not backups (copies dropped by hand, older naming
   * schemes) that sort ahead of the newest backups. Small: list latency grows with page size.
   */
  readonly foreignTolerance?: number;
  /** The watchdog's clock, for a URL's lifetime and its delegation key's start. */
  readonly clock?: () => Date;
}

/**
 * Finds a pair's newest backups from the first page or two of a prefix listing: the backup
 * contract makes names sort newest first, so the whole prefix never has to be listed.
 */
export class BlobBackupCatalog implements BackupCatalog {
  private readonly foreignTolerance: number;
  private readonly clock: () => Date;

  constructor(
    private readonly service: BlobServiceClient,
    options: BlobBackupCatalogOptions = {},
  ) {
    this.foreignTolerance = options.foreignTolerance ?? DEFAULT_FOREIGN_TOLERANCE;
    this.clock = options.clock ?? (() => new Date());
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

  /**
   * A blob SAS (sr=b) with read permission only. Signed with the account key when the client
   * has one (connection string, Azurite); with a token credential (managed identity) through a
   * user delegation key, so no account key is needed. Errors name the blob, never the URL.
   */
  async readOnlyUrl(container: string, name: string, expiresOn: Date): Promise<string> {
    const where = { container, name: name.slice(0, 256) };
    const lifetime = expiresOn.getTime() - this.clock().getTime();
    if (Number.isNaN(lifetime) || lifetime > MAX_URL_LIFETIME_MS) {
      throw new WatchdogError('SAS_LIFETIME_INVALID', `A read-only URL for "${container}/${name}" must expire within 7 days`, where);
    }
    const blob = this.service.getContainerClient(container).getBlobClient(name);
    const options: BlobGenerateSasUrlOptions = {
      permissions: BlobSASPermissions.parse('r'),
      expiresOn,
      // Plain HTTP only where the endpoint itself is plain (a local emulator).
      protocol: blob.url.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
    };
    const credential = this.service.credential;
    try {
      if (credential instanceof StorageSharedKeyCredential) return await blob.generateSasUrl(options);
      if (isTokenCredential(credential)) {
        const key = await this.service.getUserDelegationKey(new Date(this.clock().getTime() - KEY_START_SKEW_MS), expiresOn);
        return await blob.generateUserDelegationSasUrl(options, key);
      }
    } catch (error) {
      const status: Record<string, number> = error instanceof RestError && error.statusCode !== undefined ? { status: error.statusCode } : {};
      throw new WatchdogError('SAS_FAILED', `Creating a read-only URL for "${container}/${name}" failed`, { ...where, ...status }, { cause: error });
    }
    throw new WatchdogError('SAS_UNSUPPORTED', 'The storage client has neither an account key nor a token credential to sign a read-only URL with', where);
  }
}

function isTokenCredential(credential: unknown): credential is TokenCredential {
  return typeof (credential as Partial<TokenCredential> | null)?.getToken === 'function';
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
