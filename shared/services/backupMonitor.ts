import { assessBackups, type BackupAssessment, type BackupState } from '../domain/backupAssessment';
import { readBackupRecord, type BackupRecord } from '../domain/backupContract';
import { backupNotification } from '../domain/backupMessages';
import { decideAlert } from '../domain/conditionChange';
import type { PairDefinition } from '../domain/pair';
import type { BackupCatalog } from '../ports/backupCatalog.port';
import type { MonitorDeps } from './heartbeatMonitor';
import { fenceOrPrimary } from './fenceOrPrimary';
import { enqueue, flushOutbox, type WithOutbox } from './outbox';
import { runPairs, type PairOutcome } from './runPairs';
import { stateKeys } from './stateKeys';
import { updateRecord } from './updateRecord';

export interface BackupRecordState extends WithOutbox {
  readonly version: 1;
  readonly confirmed: { readonly state: BackupState; readonly since: string };
  readonly assessment: BackupAssessment;
}

export interface BackupCheck {
  readonly state: BackupState;
  readonly listRequests: number;
  readonly notified: number;
}

/** How many of the newest backups are read: the newest, and enough older ones to compare sizes and find a sound one. */
export const NEWEST_BACKUPS_READ = 3;

export function runBackupPass(deps: MonitorDeps & { readonly backups: BackupCatalog }): Promise<PairOutcome<BackupCheck>[]> {
  return runPairs(deps.pairs, deps.maxConcurrency, deps.logger, (pair) => checkBackups(deps, pair));
}

export async function checkBackups(deps: MonitorDeps & { readonly backups: BackupCatalog }, pair: PairDefinition): Promise<BackupCheck> {
  const [listing, fence] = await Promise.all([deps.backups.newest(pair.backup.container, pair.backup.prefix, NEWEST_BACKUPS_READ), fenceOrPrimary(deps, pair)]);
  // After a failover the backups to chase are the active side's.
  const activeHost = fence?.activeHost ?? pair.primary.hostName;
  const records = listing.blobs.map((b) => readBackupRecord(pair.backup.prefix, pair.id, b)).filter((r): r is BackupRecord => r !== undefined);
  const now = deps.clock();
  const assessment = assessBackups(pair, records, listing.foreign, now);
  for (const warning of assessment.warnings) deps.logger.warn(warning, { pair: pair.id });
  const key = stateKeys.backup(pair.id);
  const link = deps.statusBaseUrl ? `${deps.statusBaseUrl}/api/pairs/${encodeURIComponent(pair.id)}` : undefined;
  const written = await updateRecord<BackupRecordState>(deps.state, key, (current) => {
    if (current && Date.parse(current.assessment.checkedAt) > now.getTime()) return undefined;
    const previous = current?.confirmed;
    const confirmed = previous?.state === assessment.state ? previous : { state: assessment.state, since: assessment.checkedAt };
    const decision = decideAlert(previous?.state, confirmed.state, (s) => s === 'ok');
    const notification = decision.kind === 'none' ? undefined : backupNotification(pair, decision, assessment, confirmed.since, activeHost, link);
    if (decision.kind !== 'none') deps.logger.warn('backup condition changed', { pair: pair.id, from: decision.from ?? '(none)', to: decision.to });
    return { version: 1, confirmed, assessment, outbox: enqueue(current?.outbox ?? [], notification, deps.logger) };
  });
  const record = written?.value;
  const notified = record ? await flushOutbox<BackupRecordState>(deps.state, key, record.outbox, deps.channels, deps.logger) : 0;
  return { state: assessment.state, listRequests: listing.listRequests, notified };
}
