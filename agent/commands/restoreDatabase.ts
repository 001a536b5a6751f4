import type { AgentCommand } from '../../shared/contracts/agentCommands';
import type { ServiceControl, ServiceStatus } from '../service/serviceControl.port';
import { describe } from '../service/stopAndDisable';
import type { BackupDownloader, DatabaseRestorer, DiskSpaceReader } from './collaborators.port';
import { failed, succeeded, type CommandContext, type CommandHandler, type CommandOutcome, type Progress } from './commandHandler';
import { agentErrorCode, messageOf } from './errorCode';

export interface RestoreDeps {
  readonly control: ServiceControl;
  readonly diskSpace: DiskSpaceReader;
  /** Absent when this host has no restore configured (a shared-database pair, say). */
  readonly settings?: { readonly database: string; readonly downloadDir: string; readonly freeSpaceFactor: number };
  readonly downloader?: BackupDownloader;
  readonly restorer?: DatabaseRestorer;
  /** Monotonic milliseconds, to pass the restore what is left of the command's bound. */
  readonly monotonicNow?: () => number;
}

type RestoreCommand = Extract<AgentCommand, { type: 'restoreDatabase' }>;

/** Progress replies go out at every stage and at most every 10 % within one. */
const PROGRESS_STEP_PERCENT = 10;

/**
 * Copied-database failover, step 5: download the chosen backup, verify it, restore it over the
 * local database. Refused while adTempus runs (restoring under a running service corrupts its
 * state) and when the disk cannot hold it, both checked before anything is touched. The command's
 * SAS URL goes only to the downloader; the dispatcher redacts it from everything else.
 */
export function restoreDatabaseHandler(deps: RestoreDeps): CommandHandler<RestoreCommand> {
  return async (command, context) => {
    if (context.fenced) return failed('FENCED', 'This host is fenced: another host is the active side, so no database is restored here');
    const { settings, downloader, restorer } = deps;
    if (settings === undefined || downloader === undefined || restorer === undefined) {
      return failed('NOT_CONFIGURED', 'Restoring is not configured on this host');
    }

    const running = await refuseUnlessStopped(deps.control, 'before the download');
    if (running) return running;

    let freeBytes: number;
    try {
      freeBytes = (await deps.diskSpace(settings.downloadDir)).freeBytes;
    } catch (error) {
      return failed('INSUFFICIENT_DISK', `Free space in the download folder could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const needed = Math.ceil(command.sizeBytes * settings.freeSpaceFactor);
    if (freeBytes < needed) {
      return failed('INSUFFICIENT_DISK', `The download folder's volume has ${freeBytes} bytes free; this backup needs ${needed} (${settings.freeSpaceFactor} x its size)`, {
        freeBytes,
        neededBytes: needed,
      });
    }

    const now = deps.monotonicNow ?? (() => performance.now());
    const deadline = now() + command.timeoutSeconds * 1000;
    const progress = progressSender(context);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`timed out after ${command.timeoutSeconds} s`)), command.timeoutSeconds * 1000);
    timer.unref();
    try {
      progress.stage({ stage: 'downloading', bytes: 0, totalBytes: command.sizeBytes });
      let backupPath: string;
      try {
        ({ path: backupPath } = await downloader.downloadAndVerify({
          sasUrl: command.sasUrl,
          backupName: command.backupName,
          sha256: command.sha256,
          sizeBytes: command.sizeBytes,
          directory: settings.downloadDir,
          signal: abort.signal,
          onProgress: ({ bytes, totalBytes }) => progress.step('downloading', totalBytes > 0 ? (bytes / totalBytes) * 100 : 0, { bytes, totalBytes }),
        }));
      } catch (error) {
        return await progress.then(failed(agentErrorCode(error, 'DOWNLOAD_FAILED'), `Download failed${detailCode(error, agentErrorCode(error, 'DOWNLOAD_FAILED'))}: ${abortAware(error, abort.signal)}`));
      }
      progress.stage({ stage: 'verified', bytes: command.sizeBytes, totalBytes: command.sizeBytes });

      // The download may have taken an hour: check again right before the database is touched.
      const startedMeanwhile = await refuseUnlessStopped(deps.control, 'before the restore');
      if (startedMeanwhile) return await progress.then(startedMeanwhile);

      progress.stage({ stage: 'restoring', percent: 0 });
      let restored: Readonly<Record<string, unknown>> | void;
      try {
        restored = await restorer.restoreDatabase({
          backupPath,
          database: settings.database,
          timeoutMs: Math.max(1, Math.round(deadline - now())),
          signal: abort.signal,
          onProgress: ({ percent }) => progress.step('restoring', percent, { percent: clampPercent(percent) }),
        });
      } catch (error) {
        return await progress.then(failed(agentErrorCode(error, 'RESTORE_FAILED'), `Restore failed${detailCode(error, agentErrorCode(error, 'RESTORE_FAILED'))}: ${abortAware(error, abort.signal)}`));
      }
      return await progress.then(
        succeeded({ ...(restored ?? {}), backupName: command.backupName, database: settings.database, sizeBytes: command.sizeBytes, sha256: command.sha256 }),
      );
    } finally {
      clearTimeout(timer);
    }
  };
}

async function refuseUnlessStopped(control: ServiceControl, when: string): Promise<CommandOutcome | undefined> {
  let status: ServiceStatus;
  try {
    status = await control.query();
  } catch (error) {
    return failed('RESTORE_FAILED', `Refused: the service's state could not be read ${when} (${describe(error)})`);
  }
  if (status.state === 'stopped') return undefined;
  return failed('SERVICE_RUNNING', `Refused: the adTempus service is ${status.state} ${when}; restoring under a running adTempus is unsafe, stop it first`, {
    state: status.state,
  });
}

/**
 * Progress replies in order, without holding up the download: each is chained after the one
 * before, and the final reply waits for the chain (`then`) so it is never overtaken by progress.
 */
function progressSender(context: CommandContext): {
  stage(progress: Progress): void;
  step(stage: string, percent: number, progress: Omit<Progress, 'stage'>): void;
  then<T>(value: T): Promise<T>;
} {
  let chain = Promise.resolve();
  let lastStep = { stage: '', bucket: -1 };
  const send = (p: Progress): void => {
    chain = chain.then(() => context.progress(p)).catch(() => undefined);
  };
  return {
    stage(p) {
      lastStep = { stage: p.stage, bucket: 0 };
      send(p);
    },
    step(stage, percent, p) {
      const bucket = Math.floor(clampPercent(percent) / PROGRESS_STEP_PERCENT);
      if (stage === lastStep.stage && bucket <= lastStep.bucket) return;
      lastStep = { stage, bucket };
      send({ stage, ...p });
    },
    then: async (value) => {
      await chain;
      return value;
    },
  };
}

function clampPercent(percent: number): number {
  return Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
}

/** A collaborator's own code (e.g. BLOB_NOT_FOUND) when the contract has no such code: kept in the text for people. */
function detailCode(error: unknown, reported: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== reported && /^[A-Z][A-Z0-9_]{1,63}$/.test(code) ? ` (${code})` : '';
}

function abortAware(error: unknown, signal: AbortSignal): string {
  return signal.aborted ? `${messageOf(signal.reason)} (${messageOf(error)})` : messageOf(error);
}
