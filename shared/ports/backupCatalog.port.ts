import type { ListedBlob } from '../domain/backupContract';

export interface NewestListing {
  /** Up to `count` blobs whose names follow the backup contract, newest first. */
  readonly blobs: readonly ListedBlob[];
  /** Names under the prefix that do not follow the contract (skipped, with a warning). */
  readonly foreign: readonly string[];
  /** How many list requests the lookup took. */
  readonly listRequests: number;
}

/** Finds a pair's newest backups without listing the whole container. */
export interface BackupCatalog {
  newest(container: string, prefix: string, count: number): Promise<NewestListing>;
  /**
   * A URL that lets its holder read this one blob, and nothing else, until `expiresOn`: what a
   * restore hands to the Secondary's agent. Secret: never log it, return it, or put it in an error.
   */
  readOnlyUrl(container: string, name: string, expiresOn: Date): Promise<string>;
}
