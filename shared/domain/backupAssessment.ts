import type { BackupRecord } from './backupContract';
import { formatSeconds } from './heartbeatAssessment';
import type { PairDefinition } from './pair';

/**
 * ok: the newest backup is sound and younger than the RPO budget.
 * stale: the newest backup is older than the RPO budget: a failover now would lose more than allowed.
 * missing: no backup under the pair's prefix.
 * suspect: the newest backup breaks the contract (empty, missing SHA-256 or taken-at, size
 * mismatch) or shrank sharply against the previous one.
 */
export type BackupState = 'ok' | 'stale' | 'missing' | 'suspect';

export interface BackupSummary {
  readonly name: string;
  readonly takenAt: string;
  readonly sourceMachine: string;
  readonly sizeBytes: number;
  readonly sha256?: string;
}

export interface BackupAssessment {
  readonly pairId: string;
  readonly checkedAt: string;
  readonly state: BackupState;
  readonly newest?: BackupSummary;
  /** The newest backup that a restore could use (sound, even if older). */
  readonly newestValid?: BackupSummary;
  readonly ageSeconds?: number;
  /** When the next backup is due (taken-at of the newest plus the expected interval). */
  readonly nextExpectedAt?: string;
  readonly overdue: boolean;
  readonly problems: readonly string[];
  /** Foreign blob names under the prefix: skipped, reported as warnings. */
  readonly warnings: readonly string[];
}

/** `records` are the newest backups, newest first (at most a few). */
export function assessBackups(
  pair: PairDefinition,
  records: readonly BackupRecord[],
  foreign: readonly string[],
  now: Date,
): BackupAssessment {
  const warnings = foreign.map((name) => `skipped blob "${name}": its name does not follow the backup contract`);
  const base = { pairId: pair.id, checkedAt: now.toISOString(), warnings };
  const newest = records[0];
  if (!newest) {
    return { ...base, state: 'missing', overdue: true, problems: [`no backup found under ${pair.backup.container}/${pair.backup.prefix}`] };
  }
  const problems = [...newest.problems];
  const previous = records[1];
  if (previous && previous.sizeBytes > 0 && newest.problems.length === 0) {
    const shrink = (1 - newest.sizeBytes / previous.sizeBytes) * 100;
    if (shrink > pair.backup.maxShrinkPercent) {
      problems.push(
        `the backup is ${shrink.toFixed(0)}% smaller than the previous one (${newest.sizeBytes} vs ${previous.sizeBytes} bytes; limit ${pair.backup.maxShrinkPercent}%)`,
      );
    }
  }
  const ageSeconds = Math.max(0, (now.getTime() - newest.takenAt.getTime()) / 1000);
  const nextExpected = new Date(newest.takenAt.getTime() + pair.backup.expectedIntervalMinutes * 60_000);
  const overRpo = ageSeconds > pair.backup.rpoBudgetMinutes * 60;
  const state: BackupState = problems.length > 0 ? 'suspect' : overRpo ? 'stale' : 'ok';
  if (overRpo) {
    problems.push(`the newest backup is ${formatSeconds(ageSeconds)} old, over the RPO budget of ${formatSeconds(pair.backup.rpoBudgetMinutes * 60)}`);
  }
  // A suspect newest backup (broken or shrunk) is not what a restore should use.
  const valid = records.slice(state === 'suspect' ? 1 : 0).find((r) => r.problems.length === 0);
  return {
    ...base,
    state,
    newest: summarize(newest),
    ...(valid ? { newestValid: summarize(valid) } : {}),
    ageSeconds: Math.round(ageSeconds),
    nextExpectedAt: nextExpected.toISOString(),
    overdue: now.getTime() > nextExpected.getTime(),
    problems,
  };
}

function summarize(r: BackupRecord): BackupSummary {
  return {
    name: r.name,
    takenAt: r.takenAt.toISOString(),
    sourceMachine: r.sourceMachine,
    sizeBytes: r.sizeBytes,
    ...(r.sha256 ? { sha256: r.sha256 } : {}),
  };
}
