/**
 * What the command handlers need from the parts built beside them (agent/backup, agent/restore)
 * and from the host. Only these shapes are imported here, so tests pass fakes of the same shape
 * and the composition passes the real ones.
 *
 * Errors: a thrown error whose `code` is one of AGENT_ERROR_CODES (e.g. CHECKSUM_MISMATCH,
 * SAS_REJECTED) is reported with that code; any other failure gets the handler's default code.
 */

/** What a ship round reports; the handler reads these lists (any other fields are ignored). */
export interface ShipSummary {
  readonly shipped?: readonly unknown[];
  readonly recovered?: readonly unknown[];
  readonly alreadyShipped?: readonly unknown[];
  readonly pending?: readonly unknown[];
  readonly failed?: readonly unknown[];
  /** The backup folder (or the shipper's ledger) could not be read: nothing was looked at. */
  readonly scanError?: { readonly code: string; readonly message: string };
}

export interface BackupShipper {
  /** Uploads every backup not yet in Blob storage; resolves with what it did. */
  shipNow(): Promise<ShipSummary>;
}

export interface DownloadRequest {
  /** Secret: the short-lived read SAS. Implementations never log it or put it in an error. */
  readonly sasUrl: string;
  readonly backupName: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly directory: string;
  readonly signal: AbortSignal;
  readonly onProgress: (progress: { readonly bytes: number; readonly totalBytes: number }) => void;
}

export interface BackupDownloader {
  /** Downloads to `directory`, verifies size and SHA-256, resolves with the local file's path. */
  downloadAndVerify(request: DownloadRequest): Promise<{ readonly path: string; readonly reused?: boolean }>;
}

export interface RestoreRequest {
  readonly backupPath: string;
  readonly database: string;
  /** What is left of the command's bound when the restore begins. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly onProgress: (progress: { readonly percent: number }) => void;
}

export interface DatabaseRestorer {
  /** Restores `backupPath` over the local database (WITH REPLACE); resolves when it is online. */
  restoreDatabase(request: RestoreRequest): Promise<Readonly<Record<string, unknown>> | void>;
}

/** Whether the local adTempus database answers (a `SELECT 1`, say). Never throws. */
export interface DatabaseProbe {
  check(): Promise<{ readonly answers: boolean; readonly detail?: string }>;
}

export interface DiskSpace {
  readonly freeBytes: number;
  readonly totalBytes: number;
}

/** Free space of the volume holding `path`. */
export type DiskSpaceReader = (path: string) => Promise<DiskSpace>;
