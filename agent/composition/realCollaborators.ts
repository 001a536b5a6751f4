import { join } from 'node:path';
import { AnonymousCredential, ContainerClient } from '@azure/storage-blob';
import type sql from 'mssql';
import { createBlobServiceClient } from '../../shared/adapters/blob/blobServiceClient';
import type { Logger } from '../../shared/ports/logger.port';
import { BackupShipper } from '../backup/backupShipper';
import type { AgentConfig, StorageSource } from '../config/agentConfig';
import type { BackupDownloader, DatabaseProbe, DatabaseRestorer } from '../commands/collaborators.port';
import { downloadAndVerify } from '../restore/downloadBackup';
import { createDatabaseProbe } from '../restore/databaseProbe';
import { restoreDatabase } from '../restore/restoreDatabase';

/** Per-try timeout that fits a 4 MiB block at a slow host uplink (the watchdog's 5 s does not). */
const BACKUP_UPLOAD_TRY_TIMEOUT_MS = 120_000;

/** The backup shipper over the pair's backup container, or undefined when this host ships none. */
export function createBackupShipper(config: AgentConfig, logger: Logger): BackupShipper | undefined {
  const backup = config.backup;
  if (backup === undefined) return undefined;
  return new BackupShipper({
    folder: backup.folder,
    pattern: backup.pattern,
    ledgerFile: join(config.stateDir, 'ship-ledger.json'),
    container: containerClient(backup.source, backup.container),
    pairId: config.pairId,
    prefix: backup.prefix,
    sourceMachine: config.hostName,
    pollIntervalMs: backup.pollIntervalSeconds * 1000,
    settleMs: backup.settleSeconds * 1000,
    // A container SAS may create blobs but not containers.
    createContainer: backup.source.kind !== 'containerSasUrl',
    logger,
  });
}

function containerClient(source: StorageSource, container: string): ContainerClient {
  const retry = { maxTries: 4, tryTimeoutInMs: BACKUP_UPLOAD_TRY_TIMEOUT_MS };
  if (source.kind === 'containerSasUrl') return new ContainerClient(source.containerSasUrl, new AnonymousCredential(), { retryOptions: retry });
  const service = createBlobServiceClient(
    source.kind === 'connectionString'
      ? { kind: 'connectionString', connectionString: source.connectionString }
      : { kind: 'identity', blobServiceUri: source.blobServiceUri, ...(source.clientId !== undefined ? { clientId: source.clientId } : {}) },
    { retry },
  );
  return service.getContainerClient(container);
}

/** agent/restore's downloadAndVerify in the shape the restore handler calls. */
export const backupDownloader: BackupDownloader = {
  async downloadAndVerify(request) {
    const file = await downloadAndVerify({
      sasUrl: request.sasUrl,
      expectedSha256: request.sha256,
      expectedSizeBytes: request.sizeBytes,
      directory: request.directory,
      abortSignal: request.signal,
      onProgress: (bytes, totalBytes) => request.onProgress({ bytes, totalBytes }),
    });
    return { path: file.file, reused: file.reused };
  },
};

/** agent/restore's restoreDatabase with this host's restore settings, or undefined when none are configured. */
export function createDatabaseRestorer(config: AgentConfig): DatabaseRestorer | undefined {
  const restore = config.restore;
  if (restore === undefined) return undefined;
  return {
    async restoreDatabase(request) {
      const restored = await restoreDatabase({
        file: request.backupPath,
        database: request.database,
        timeoutMs: request.timeoutMs,
        onProgress: (progress) => {
          if (progress.percent !== undefined) request.onProgress({ percent: progress.percent });
        },
        ...(restore.mode === 'tsql' ? { mode: 'tsql' as const, connection: mssqlConfig(restore.sql) } : { mode: 'command' as const, command: restore.command }),
      });
      // The last few server messages say what happened; the whole list can be long.
      return { mode: restored.mode, elapsedMs: restored.elapsedMs, messages: restored.messages.slice(-5) };
    },
  };
}

/** A probe of the local adTempus database, when this host restores over T-SQL (its connection is known). */
export function createLocalDatabaseProbe(config: AgentConfig): DatabaseProbe | undefined {
  const restore = config.restore;
  if (restore?.mode !== 'tsql') return undefined;
  return createDatabaseProbe(mssqlConfig(restore.sql), restore.database);
}

type TsqlSettings = Extract<NonNullable<AgentConfig['restore']>, { mode: 'tsql' }>['sql'];

function mssqlConfig(s: TsqlSettings): sql.config {
  const auth = s.auth;
  return {
    server: s.server,
    ...(s.port !== undefined ? { port: s.port } : {}),
    database: 'master',
    options: { encrypt: s.encrypt, trustServerCertificate: s.trustServerCertificate, ...(s.instanceName !== undefined ? { instanceName: s.instanceName } : {}) },
    ...(auth.domain !== undefined
      ? { authentication: { type: 'ntlm', options: { domain: auth.domain, userName: auth.user, password: auth.password } } }
      : { user: auth.user, password: auth.password }),
  };
}
