import { performance } from 'node:perf_hooks';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RestError, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
import { backupBlobName, backupMetadata } from '../../shared/domain/backupContract';
import { silentLogger, type Logger } from '../../shared/ports/logger.port';
import { AgentError } from '../agentErrors';
import { globToRegExp } from './globToRegExp';
import { hashFile } from './hashFile';
import { ShipLedger } from './shipLedger';
import { uploadFileBlocks } from './uploadFileBlocks';

export interface BackupShipperOptions {
  /** The adTempus instance's backup folder (a local path or a UNC share). */
  readonly folder: string;
  /** File-name pattern of backups in that folder, e.g. `*.bak` (see globToRegExp). */
  readonly pattern: string;
  /** Where the ledger of shipped files lives: the agent's own data folder, not the backup folder. */
  readonly ledgerFile: string;
  /**
   * The pair's backup container. Give its client a per-try timeout that fits a whole block at
   * the host's upload speed (the watchdog's 5 s does not: 4 MiB at 5 Mbit/s takes 7 s).
   */
  readonly container: ContainerClient;
  readonly pairId: string;
  /** The pair's blob prefix, ending with `/`. */
  readonly prefix: string;
  /** This host's computer name, as the backup contract records the source machine. */
  readonly sourceMachine: string;
  /** How long size and mtime must stay unchanged before a file counts as complete. Default 60 s. */
  readonly settleMs?: number;
  /** Time between polling scans. Default 60 s. */
  readonly pollIntervalMs?: number;
  /** Default 4 MiB. */
  readonly blockSizeBytes?: number;
  /** Blocks uploaded at once. Default 4 (memory: (4 + 1) x block size). */
  readonly uploadConcurrency?: number;
  /** Create the container if missing. Default true; false when the credential may only write blobs. */
  readonly createContainer?: boolean;
  readonly logger?: Logger;
  /** Called with each polling scan's report (shipNow's callers get theirs directly). */
  readonly onScan?: (report: ShipReport) => void;
  /** Monotonic milliseconds for the settle period; tests pass their own. */
  readonly clock?: () => number;
}

export interface ShippedBackup {
  readonly file: string;
  readonly blobName: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** ISO 8601 UTC: the file's mtime (see BackupShipper). */
  readonly takenAt: string;
}

export type PendingReason = 'settling' | 'in-use' | 'empty';

export interface ShipReport {
  /** Uploaded by this scan. */
  readonly shipped: ShippedBackup[];
  /** Found already in Blob storage with the same SHA-256 (uploaded before a crash, ledger not written): recorded, not uploaded. */
  readonly recovered: ShippedBackup[];
  /** In the ledger: shipped earlier. */
  readonly alreadyShipped: { readonly file: string; readonly blobName: string }[];
  /** Not complete yet (or held open by its writer): looked at again next scan. */
  readonly pending: { readonly file: string; readonly reason: PendingReason }[];
  /** Logged, and tried again next scan (a vanished file is simply not listed again). */
  readonly failed: { readonly file: string; readonly code: string; readonly message: string }[];
  /** The folder (or the ledger) could not be read: nothing was looked at. */
  scanError?: { readonly code: string; readonly message: string };
}

interface Observation {
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  readonly since: number;
}

const DEFAULTS = { settleMs: 60_000, pollIntervalMs: 60_000, blockSizeBytes: 4 * 1024 * 1024, uploadConcurrency: 4 };
// What Windows reports (a sharing violation) while another process holds the file open without
// read sharing. EPERM and EACCES are not in it: they may mean missing permissions, which must
// surface as a failure rather than wait quietly forever.
const IN_USE = 'EBUSY';

/**
 * Ships each new backup in the adTempus backup folder to Blob storage exactly once, named and
 * described by the backup contract.
 *
 * Complete files only: a file is shipped when (1) its size and mtime are unchanged across scans
 * for at least `settleMs`, (2) it is not empty, and (3) it can be opened for reading; on Windows
 * SQL Server holds a backup it is writing open without read sharing, so the open fails
 * (EBUSY) until the backup is finished, and NTFS may report a growing file's size and
 * mtime lazily, which is why the size/mtime rule alone is not trusted there. Size and mtime are
 * checked again on the open handle, and once more after the upload: a file that changed on the
 * way is not recorded and its blob is deleted.
 *
 * Taken-at is the file's mtime: SQL Server writes a backup until it is complete, and a full
 * backup's data is consistent as of its end, so the last write is the point in time a restore
 * brings back. adTempus's own file naming is configurable, so names are not trusted for it.
 *
 * Exactly once: the ledger (see ShipLedger) records each shipped file; before any upload the
 * shipper also looks for the contract's blob: present with the same SHA-256 means a crash came
 * between upload and ledger, so the ledger is repaired and nothing is uploaded; present with
 * other content is a conflict, logged as an error and never overwritten (uploads are
 * create-only). Two different files with the same mtime to the millisecond would map to the
 * same blob name and surface as such a conflict.
 *
 * Polling, not fs.watch: on Windows shares change notifications are lost when the SMB session
 * reconnects or the buffer overflows, and they say nothing about a file being finished anyway;
 * a scan every minute against a daily backup costs nothing and cannot miss a file.
 */
export class BackupShipper {
  private readonly matches: RegExp;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly settleMs: number;
  private readonly ledgerFile: string;
  private readonly observations = new Map<string, Observation>();
  private ledger: ShipLedger | undefined;
  private containerReady: Promise<void> | undefined;
  /** Scans run one at a time; shipNow during a polling scan waits for it, then scans afresh. */
  private queue: Promise<unknown> = Promise.resolve();
  private polling = false;
  /** Tells a loop left over from before a stop() and start() to end. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: BackupShipperOptions) {
    this.matches = globToRegExp(options.pattern);
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? (() => performance.now());
    this.settleMs = options.settleMs ?? DEFAULTS.settleMs;
    this.ledgerFile = resolve(options.ledgerFile);
    // Fails here, at start-up, rather than on the first backup.
    backupBlobName(options.prefix, new Date(0), options.sourceMachine);
  }

  /** Runs one scan now and reports what it shipped, skipped, left pending or failed on. */
  shipNow(): Promise<ShipReport> {
    const scan = this.queue.then(() => this.scan());
    this.queue = scan.catch(() => undefined);
    return scan;
  }

  /** Scans at once, then every pollIntervalMs until stop(). */
  start(): void {
    if (this.polling) return;
    this.polling = true;
    const generation = ++this.generation;
    const tick = async (): Promise<void> => {
      try {
        // Scan first: an optional call would skip evaluating its argument when no listener is set.
        const report = await this.shipNow();
        this.options.onScan?.(report);
      } catch (error) {
        this.logger.error('Backup scan failed unexpectedly; trying again next scan', { error: errorText(error) });
      } finally {
        if (this.polling && generation === this.generation) this.timer = setTimeout(() => void tick(), this.options.pollIntervalMs ?? DEFAULTS.pollIntervalMs);
      }
    };
    void tick();
  }

  /** Stops polling; resolves once a scan under way has finished. */
  async stop(): Promise<void> {
    this.polling = false;
    clearTimeout(this.timer);
    await this.queue;
  }

  private async scan(): Promise<ShipReport> {
    const report: ShipReport = { shipped: [], recovered: [], alreadyShipped: [], pending: [], failed: [] };
    const folder = resolve(this.options.folder);
    let names: string[];
    try {
      this.ledger ??= await ShipLedger.load(this.ledgerFile, this.logger);
      names = await readdir(folder);
    } catch (error) {
      report.scanError = { code: 'BACKUP_FOLDER_UNREADABLE', message: `Cannot read the backup folder or the ledger: ${errorText(error)}` };
      this.logger.error('Backup scan failed; trying again next scan', { folder, error: errorText(error) });
      return report;
    }
    const listed = new Set<string>();
    for (const name of names.filter((n) => this.matches.test(n)).sort()) {
      const file = join(folder, name);
      if (file === this.ledgerFile) continue;
      listed.add(file);
      await this.consider(this.ledger, file, report);
    }
    for (const file of [...this.observations.keys()]) if (!listed.has(file)) this.observations.delete(file);
    await this.ledger.retainOnly(listed).catch((error: unknown) => this.logger.warn('Could not prune the backup ledger', { error: errorText(error) }));
    return report;
  }

  private async consider(ledger: ShipLedger, file: string, report: ShipReport): Promise<void> {
    let size: number;
    let mtimeMs: number;
    try {
      const stats = await stat(file);
      if (!stats.isFile()) return; // a folder named like a backup is not one
      ({ size, mtimeMs } = stats);
    } catch (error) {
      return this.fail(report, file, error);
    }
    const shipped = ledger.find(file, size, mtimeMs);
    if (shipped !== undefined) return void report.alreadyShipped.push({ file, blobName: shipped.blobName });
    if (size === 0) return void report.pending.push({ file, reason: 'empty' });
    const seen = this.observations.get(file);
    if (seen === undefined || seen.sizeBytes !== size || seen.mtimeMs !== mtimeMs) {
      this.observations.set(file, { sizeBytes: size, mtimeMs, since: this.clock() });
      return void report.pending.push({ file, reason: 'settling' });
    }
    if (this.clock() - seen.since < this.settleMs) return void report.pending.push({ file, reason: 'settling' });

    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== IN_USE) return this.fail(report, file, error);
      this.logger.info('Backup file is held open by another process; trying again next scan', { file });
      return void report.pending.push({ file, reason: 'in-use' });
    }
    try {
      await this.ship(ledger, handle, file, { sizeBytes: size, mtimeMs }, report);
    } catch (error) {
      this.fail(report, file, error);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  private async ship(ledger: ShipLedger, handle: FileHandle, file: string, version: Omit<Observation, 'since'>, report: ShipReport): Promise<void> {
    if (!(await unchanged(handle, version))) {
      this.observations.delete(file);
      return void report.pending.push({ file, reason: 'settling' });
    }
    const { pairId, prefix, sourceMachine } = this.options;
    // Rounded, not truncated: mtimes set from milliseconds come back a hair below them (float seconds).
    const takenAt = new Date(Math.round(version.mtimeMs));
    const blobName = backupBlobName(prefix, takenAt, sourceMachine);
    const blob = this.options.container.getBlockBlobClient(blobName);
    const shipped = (sha256: string): ShippedBackup => ({ file, blobName, sizeBytes: version.sizeBytes, sha256, takenAt: takenAt.toISOString() });

    const existing = await existingBackup(blob);
    if (existing !== undefined) {
      const sha256 = await hashFile(handle, version.sizeBytes);
      if (existing.sizeBytes !== version.sizeBytes || existing.sha256 !== sha256) {
        throw new AgentError('BACKUP_CONFLICT', `Blob ${blobName} already exists with other content; it is left as it is`, { blobName, blobBytes: existing.sizeBytes, fileBytes: version.sizeBytes });
      }
      await this.remember(ledger, file, version, shipped(sha256));
      this.logger.warn('Backup was already in Blob storage (uploaded before a restart): ledger repaired, nothing uploaded', { file, blobName });
      return void report.recovered.push(shipped(sha256));
    }

    await this.ensureContainer();
    const uploaded = await uploadFileBlocks(handle, version.sizeBytes, blob, {
      blockSizeBytes: this.options.blockSizeBytes ?? DEFAULTS.blockSizeBytes,
      concurrency: this.options.uploadConcurrency ?? DEFAULTS.uploadConcurrency,
      metadata: (sha256) => backupMetadata({ pairId, sourceMachine, takenAt, sizeBytes: version.sizeBytes, sha256 }),
    });
    if (!(await unchanged(handle, version))) {
      // What was read mixes two versions of the file: withdraw it; the next scans ship the final one.
      await blob.deleteIfExists({ conditions: { ifMatch: uploaded.etag } });
      this.observations.delete(file);
      this.logger.warn('Backup file changed while it was uploaded; upload withdrawn, trying again once it settles', { file, blobName });
      return void report.pending.push({ file, reason: 'settling' });
    }
    await this.remember(ledger, file, version, shipped(uploaded.sha256));
    this.logger.info('Backup shipped', { file, blobName, sizeBytes: version.sizeBytes, sha256: uploaded.sha256 });
    report.shipped.push(shipped(uploaded.sha256));
  }

  /** A ledger that cannot be saved is no reason to report a shipped backup as failed: the blob check covers a restart. */
  private async remember(ledger: ShipLedger, file: string, version: Omit<Observation, 'since'>, backup: ShippedBackup): Promise<void> {
    this.observations.delete(file);
    await ledger
      .record({ path: file, sizeBytes: version.sizeBytes, mtimeMs: version.mtimeMs, blobName: backup.blobName, sha256: backup.sha256, shippedAt: new Date().toISOString() })
      .catch((error: unknown) => this.logger.error('Could not save the backup ledger; after a restart the blob check will repair it', { file, error: errorText(error) }));
  }

  private fail(report: ShipReport, file: string, error: unknown): void {
    const code = fileErrorCode(error);
    const message = errorText(error);
    report.failed.push({ file, code, message });
    if (code === 'BACKUP_VANISHED') this.logger.warn('Backup file vanished before it could be shipped', { file });
    else this.logger.error('Shipping a backup failed; trying again next scan', { file, code, error: message });
  }

  /** Single-flight; a failure is forgotten so the next upload tries again. */
  private ensureContainer(): Promise<void> {
    if (this.options.createContainer === false) return Promise.resolve();
    this.containerReady ??= this.options.container.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        this.containerReady = undefined;
        throw error;
      },
    );
    return this.containerReady;
  }
}

async function unchanged(handle: FileHandle, version: Omit<Observation, 'since'>): Promise<boolean> {
  const now = await handle.stat();
  return now.size === version.sizeBytes && now.mtimeMs === version.mtimeMs;
}

async function existingBackup(blob: BlockBlobClient): Promise<{ sizeBytes: number; sha256: string | undefined } | undefined> {
  try {
    const properties = await blob.getProperties();
    const metadata = Object.fromEntries(Object.entries(properties.metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return { sizeBytes: properties.contentLength ?? -1, sha256: metadata['sha256']?.toLowerCase() };
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 404) return undefined;
    throw error;
  }
}

function fileErrorCode(error: unknown): string {
  if (error instanceof AgentError) return error.code;
  if (error instanceof RestError) return 'BACKUP_UPLOAD_FAILED';
  return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'BACKUP_VANISHED' : 'BACKUP_READ_FAILED';
}

/** Storage errors are reduced to status and service code: their request would carry the client's URL. */
function errorText(error: unknown): string {
  if (error instanceof RestError) return `storage answered ${error.statusCode ?? 'nothing'}${error.code ? ` (${error.code})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}
