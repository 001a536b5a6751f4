import type { DownloadRequest, RestoreRequest } from '../../../agent/commands/collaborators.port';
import { backupBlobName, backupMetadata, type ListedBlob } from '../../../shared/domain/backupContract';
import type { PairDefinition } from '../../../shared/domain/pair';
import type { BackupCatalog, NewestListing } from '../../../shared/ports/backupCatalog.port';
import type { LockRow } from './lockTable';
import type { WorldScheduler } from './worldScheduler';

export interface WorldBackup {
  readonly name: string;
  readonly takenAt: Date;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** The lock row inside the backup: the Primary owned it when the backup was taken. */
  readonly lock: LockRow;
}

export interface RestoreFaults {
  /** Downloads whose bytes do not match the SHA-256 (the agent reports CHECKSUM_MISMATCH). */
  checksumMismatches: number;
  /** Restores that fail in SQL Server (RESTORE_FAILED). */
  restoreFailures: number;
}

/**
 * The copied strategy's backups: the Blob catalog the facts read, the single-blob SAS URLs
 * handed to the Secondary's agent, and what its download and restore do on the virtual clock.
 */
export class WorldBackups implements BackupCatalog {
  readonly backups: WorldBackup[] = [];
  readonly issuedUrls: string[] = [];
  readonly downloads: string[] = [];
  readonly restores: string[] = [];
  readonly faults: RestoreFaults = { checksumMismatches: 0, restoreFailures: 0 };

  constructor(
    private readonly pair: PairDefinition,
    private readonly scheduler: WorldScheduler,
    private readonly timing: { readonly downloadMs: number; readonly restoreMs: number },
  ) {}

  add(takenAt: Date, sizeBytes = 2 * 1024 ** 3): WorldBackup {
    const name = backupBlobName(this.pair.backup.prefix, takenAt, this.pair.primary.hostName);
    const sha256 = [...Buffer.from(name).toString('hex').padEnd(64, '0')].slice(0, 64).join('');
    const backup: WorldBackup = { name, takenAt, sizeBytes, sha256, lock: { owner: this.pair.primary.hostName, heartbeatUtc: takenAt } };
    this.backups.push(backup);
    this.backups.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
    return backup;
  }

  newest(container: string, prefix: string, count: number): Promise<NewestListing> {
    const listed: ListedBlob[] =
      container === this.pair.backup.container && prefix === this.pair.backup.prefix
        ? this.backups.slice(0, count).map((b) => ({
            name: b.name,
            contentLength: b.sizeBytes,
            lastModified: b.takenAt,
            metadata: backupMetadata({ pairId: this.pair.id, sourceMachine: this.pair.primary.hostName, takenAt: b.takenAt, sizeBytes: b.sizeBytes, sha256: b.sha256 }),
          }))
        : [];
    return Promise.resolve({ blobs: listed, foreign: [], listRequests: 1 });
  }

  readOnlyUrl(container: string, name: string, expiresOn: Date): Promise<string> {
    const url = `https://worldbackups.blob.core.windows.net/${container}/${name}?sv=2025-01-05&se=${encodeURIComponent(expiresOn.toISOString())}&sr=b&sp=r&sig=d29ybGRTZWNyZXQ%3D`;
    this.issuedUrls.push(url);
    return Promise.resolve(url);
  }

  async download(request: DownloadRequest, alive: () => boolean): Promise<{ readonly path: string }> {
    const backup = this.backups.find((b) => request.sasUrl.includes(`/${b.name}?`));
    if (!this.issuedUrls.includes(request.sasUrl) || backup === undefined) throw coded('SAS_REJECTED', 'the SAS URL was not issued for a backup of this pair');
    // Two progress reports are enough to keep the runbook waiting; each one costs the orchestration a replay.
    for (let part = 1; part <= 2; part++) {
      await this.scheduler.sleep(this.timing.downloadMs / 2, alive);
      request.onProgress({ bytes: Math.round((backup.sizeBytes * part) / 2), totalBytes: backup.sizeBytes });
    }
    this.downloads.push(backup.name);
    if (this.faults.checksumMismatches > 0) {
      this.faults.checksumMismatches--;
      throw coded('CHECKSUM_MISMATCH', 'the downloaded file does not have the expected SHA-256');
    }
    if (request.sha256 !== backup.sha256 || request.sizeBytes !== backup.sizeBytes) throw coded('CHECKSUM_MISMATCH', 'the download does not match the SHA-256 and size the command named');
    return { path: `${request.directory}/${backup.name.split('/').pop()!}` };
  }

  /** Restores over `database` (the Secondary's copy); the lock row comes back as the backup holds it. */
  async restore(request: RestoreRequest, alive: () => boolean, replace: (row: LockRow) => void): Promise<Readonly<Record<string, unknown>>> {
    const backup = this.backups.find((b) => request.backupPath.endsWith(b.name.split('/').pop()!));
    if (backup === undefined) throw coded('RESTORE_FAILED', 'no such backup file');
    await this.scheduler.sleep(this.timing.restoreMs / 2, alive);
    request.onProgress({ percent: 50 });
    await this.scheduler.sleep(this.timing.restoreMs / 2, alive);
    if (this.faults.restoreFailures > 0) {
      this.faults.restoreFailures--;
      throw coded('RESTORE_FAILED', 'RESTORE DATABASE failed: the media set is damaged');
    }
    replace(backup.lock);
    this.restores.push(backup.name);
    request.onProgress({ percent: 100 });
    return { restoredFrom: backup.name };
  }
}

function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
