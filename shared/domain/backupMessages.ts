import type { BackupAssessment, BackupState } from './backupAssessment';
import type { AlertDecision } from './conditionChange';
import { formatSeconds } from './heartbeatAssessment';
import type { Fact, Notification } from './notification';
import type { PairDefinition } from './pair';

const TITLES: Record<BackupState, string> = {
  ok: 'Backups healthy',
  stale: 'Newest backup is older than the RPO budget',
  missing: 'No database backup found',
  suspect: 'Newest database backup looks wrong',
};

export function backupNotification(
  pair: PairDefinition,
  decision: Exclude<AlertDecision<BackupState>, { kind: 'none' }>,
  a: BackupAssessment,
  since: string,
  /** The host that runs adTempus now (the fence record's active host): whose backup job to check. */
  activeHost: string,
  link?: string,
): Notification {
  const resolved = decision.kind === 'resolve';
  const facts: Fact[] = [
    { name: 'Pair', value: `${pair.id} (instance ${pair.instanceName}, ${pair.strategy} database)` },
    { name: 'Condition', value: resolved ? `${decision.from} → ok` : `${a.state}${decision.from ? ` (was ${decision.from})` : ''}` },
    { name: 'Since', value: since },
    { name: 'Location', value: `${pair.backup.container}/${pair.backup.prefix}` },
  ];
  if (a.newest) {
    facts.push({ name: 'Newest backup', value: `${a.newest.name} (${a.newest.sizeBytes} bytes, from ${a.newest.sourceMachine})` });
    facts.push({ name: 'Taken at', value: a.newest.takenAt });
  }
  if (a.ageSeconds !== undefined) {
    facts.push({ name: 'Age (data a failover would lose)', value: `${formatSeconds(a.ageSeconds)} (RPO budget ${formatSeconds(pair.backup.rpoBudgetMinutes * 60)})` });
  }
  if (a.newestValid && a.newestValid.name !== a.newest?.name) facts.push({ name: 'Newest sound backup', value: `${a.newestValid.name} (${a.newestValid.takenAt})` });
  if (a.problems.length > 0) facts.push({ name: 'Problems', value: a.problems.join('; ') });
  return {
    id: `${pair.id}:backup:${decision.kind}:${decision.to}:${since}`,
    pairId: pair.id,
    condition: 'backup',
    severity: resolved ? 'resolved' : pair.strategy === 'copied' ? 'critical' : 'warning',
    title: resolved ? `Resolved: ${TITLES[decision.from]}` : TITLES[decision.to],
    summary: resolved
      ? `A sound backup taken at ${a.newest?.takenAt ?? '?'} is within the RPO budget again.`
      : summary(pair, a),
    since,
    createdAt: a.checkedAt,
    facts,
    nextSteps: resolved ? ['No action needed.'] : nextSteps(a, activeHost),
    ...(link ? { link } : {}),
  };
}

function summary(pair: PairDefinition, a: BackupAssessment): string {
  const consequence = pair.strategy === 'copied' ? ' A failover now would restore this pair from an older or no backup.' : '';
  switch (a.state) {
    case 'missing':
      return `No backup of ${pair.id} exists under ${pair.backup.container}/${pair.backup.prefix}.${consequence}`;
    case 'stale':
      return `The newest backup of ${pair.id} was taken at ${a.newest?.takenAt ?? '?'}, ${formatSeconds(a.ageSeconds ?? 0)} ago.${consequence}`;
    default:
      return `The newest backup of ${pair.id} failed its checks: ${a.problems.join('; ')}.${consequence}`;
  }
}

function nextSteps(a: BackupAssessment, activeHost: string): string[] {
  const steps = [`Check the adTempus backup job on ${activeHost} and the watchdog agent that ships backups to Blob storage.`];
  if (a.state === 'suspect') {
    steps.push(`Inspect the newest backup file on ${a.newest?.sourceMachine ?? activeHost}; do not rely on it for a restore until a sound backup exists.`);
  }
  if (a.state === 'stale' || a.state === 'missing') steps.push('Take a backup now (adTempus Console or its database utility) so a failover would lose less data.');
  return steps;
}
