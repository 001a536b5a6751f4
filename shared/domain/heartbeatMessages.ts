import type { AlertDecision } from './conditionChange';
import { formatSeconds, type AfterFailover, type HeartbeatAssessment, type HeartbeatState } from './heartbeatAssessment';
import type { Fact, Notification, Severity } from './notification';
import type { PairDefinition } from './pair';

const TITLES: Record<HeartbeatState, string> = {
  healthy: 'Primary heartbeat healthy',
  stale: 'Primary heartbeat stale: Primary down suspected',
  released: 'adTempus stopped on the Primary (lock released)',
  'secondary-active': 'adTempus is running on the Secondary',
  'unknown-owner': 'An unexpected machine owns the adTempus lock',
  unreachable: 'Watchdog cannot read the adTempus database',
};

const SEVERITY: Record<HeartbeatState, Severity> = {
  healthy: 'resolved',
  stale: 'critical',
  released: 'warning',
  'secondary-active': 'warning',
  'unknown-owner': 'critical',
  unreachable: 'critical',
};

export function heartbeatNotification(
  pair: PairDefinition,
  decision: Exclude<AlertDecision<HeartbeatState>, { kind: 'none' }>,
  a: HeartbeatAssessment,
  link?: string,
): Notification {
  const resolved = decision.kind === 'resolve';
  const after = a.afterFailover;
  const titles = after ? AFTER_FAILOVER_TITLES : TITLES;
  const title = resolved
    ? after
      ? `Resolved: ${after.activeHost} owns the adTempus lock after the failover`
      : `Resolved: ${TITLES[decision.from].replace(/:.*$/, '')}`
    : titles[decision.to];
  const facts: Fact[] = [
    { name: 'Pair', value: `${pair.id} (instance ${pair.instanceName}, ${pair.strategy} database)` },
    { name: 'Condition', value: resolved ? `${decision.from} → ${decision.to}` : `${a.state}${decision.from ? ` (was ${decision.from})` : ''}` },
    { name: 'Since', value: a.since },
    { name: 'Lock owner', value: a.owner === undefined ? 'unknown (query failed)' : a.owner?.trim() ? a.owner : '(none)' },
  ];
  if (a.heartbeatAgeSeconds !== undefined) facts.push({ name: 'Heartbeat age (database clock)', value: formatSeconds(a.heartbeatAgeSeconds) });
  if (a.lastPrimaryHeartbeatUtc) facts.push({ name: 'Last Primary heartbeat', value: a.lastPrimaryHeartbeatUtc });
  facts.push(
    after
      ? { name: 'Active side', value: `${after.activeHost} since the failover at epoch ${after.epoch} (roles swapped; configured Primary ${after.configuredPrimary})` }
      : { name: 'Primary / Secondary', value: `${pair.primary.hostName} / ${pair.secondary.hostName}` },
  );
  if (a.failure) facts.push({ name: 'Error', value: `${a.failure.code}: ${a.failure.message}` });
  facts.push({ name: 'Evidence', value: a.evidence.join('; ') });
  return {
    id: `${pair.id}:heartbeat:${decision.kind}:${decision.to}:${a.since}`,
    pairId: pair.id,
    condition: 'heartbeat',
    // After a failover the configured Primary taking the lock back is the split brain itself.
    severity: resolved ? 'resolved' : after && decision.to === 'secondary-active' ? 'critical' : SEVERITY[decision.to],
    title,
    summary: after ? afterFailoverSummary(after, decision, a) : summary(pair, decision, a),
    since: a.since,
    createdAt: a.checkedAt,
    facts,
    nextSteps: resolved ? ['No action needed. Review why it happened if it was not planned.'] : after ? afterFailoverSteps(after, a) : nextSteps(pair, a),
    ...(link ? { link } : {}),
  };
}

/** `pair` is judged with its roles swapped after a failover: these name the sides by what they are now. */
const AFTER_FAILOVER_TITLES: Record<HeartbeatState, string> = {
  healthy: 'Active side heartbeat healthy after the failover',
  stale: 'Active side heartbeat stale after the failover: the active side may be down',
  released: 'adTempus stopped on the active side after the failover (lock released)',
  'secondary-active': 'The old Primary owns the adTempus lock again after the failover',
  'unknown-owner': 'An unexpected machine owns the adTempus lock',
  unreachable: "Watchdog cannot read the active side's adTempus database",
};

function afterFailoverSummary(after: AfterFailover, decision: Exclude<AlertDecision<HeartbeatState>, { kind: 'none' }>, a: HeartbeatAssessment): string {
  const prefix = `After the failover at epoch ${after.epoch}, ${after.activeHost} is the active side.`;
  if (decision.kind === 'resolve') return `${prefix} It owns the adTempus lock with a fresh heartbeat (since ${a.since}).`;
  switch (a.state) {
    case 'stale':
      return `${prefix} Its heartbeat has not advanced since ${a.primaryDown.since ?? a.since}, or it has not taken the lock over yet.`;
    case 'secondary-active':
      return `${prefix} The old Primary ${after.configuredPrimary} owns the adTempus lock with a fresh heartbeat since ${a.since}: two owners are possible.`;
    default:
      return `${prefix} Heartbeat condition ${a.state} since ${a.since}.`;
  }
}

function afterFailoverSteps(after: AfterFailover, a: HeartbeatAssessment): string[] {
  const noFailback = 'The watchdog never fails back on its own: a failback is a person\'s decision.';
  switch (a.state) {
    case 'secondary-active':
      return [`Stop adTempus on ${after.configuredPrimary} now and set its startup type to Disabled; check that its agent runs and sees epoch ${after.epoch}.`, noFailback];
    case 'stale':
    case 'released':
    case 'unreachable':
      return [`Check ${after.activeHost} and its adTempus service: it is the active side since the failover.`, noFailback];
    default:
      return [noFailback];
  }
}

function summary(pair: PairDefinition, decision: Exclude<AlertDecision<HeartbeatState>, { kind: 'none' }>, a: HeartbeatAssessment): string {
  if (decision.kind === 'resolve') return `The Primary ${pair.primary.hostName} owns the adTempus lock again with a fresh heartbeat (since ${a.since}).`;
  switch (a.state) {
    case 'stale':
      return `The Primary ${pair.primary.hostName} still owns the adTempus lock, but its heartbeat has not advanced since ${a.primaryDown.since ?? a.since}.`;
    case 'released':
      return `No machine owns the adTempus lock since ${a.since}: the service was stopped cleanly and no jobs are running.`;
    case 'secondary-active':
      return `The Secondary ${pair.secondary.hostName} owns the adTempus lock since ${a.since}.`;
    case 'unknown-owner':
      return `The adTempus lock is owned by "${a.owner ?? ''}", which is neither ${pair.primary.hostName} nor ${pair.secondary.hostName} (since ${a.since}).`;
    case 'unreachable':
      return `The watchdog has not been able to read the heartbeat since ${a.since}${a.failure ? ` (${a.failure.code})` : ''}.`;
    default:
      return `Heartbeat condition ${a.state} since ${a.since}.`;
  }
}

function nextSteps(pair: PairDefinition, a: HeartbeatAssessment): string[] {
  switch (a.state) {
    case 'stale':
      return [
        `Check the Primary host ${pair.primary.hostName} and its adTempus service.`,
        pair.policy.automaticFailover
          ? `Automatic failover is on: the watchdog will fail over to ${pair.secondary.hostName} when the runbook's conditions hold.`
          : `Automatic failover is off: if the Primary cannot be restored, fail over to ${pair.secondary.hostName} through the watchdog.`,
        'Do not start adTempus on the Secondary by hand while the Primary may still run: that is the split brain the watchdog prevents.',
      ];
    case 'released':
      return [
        'If this is planned maintenance, put the pair in maintenance mode.',
        `Otherwise start the adTempus service on ${pair.primary.hostName}: jobs are not running.`,
      ];
    case 'secondary-active':
      return [
        'If a failover was intended, make sure the adTempus service on the Primary stays stopped and Disabled.',
        'If not, find out who started the Secondary before stopping anything.',
      ];
    case 'unknown-owner':
      return [
        'Check that no third server runs this adTempus instance against the database.',
        "Check the pair's host names in the watchdog configuration.",
      ];
    case 'unreachable':
      if (a.failure?.code === 'QUERY_SHAPE' || a.failure?.code === 'NO_ROW') {
        return ['Fix the heartbeat query in the watchdog configuration (see README, "Heartbeat query").'];
      }
      if (a.failure?.code === 'LOGIN_FAILED') return ["Check the watchdog's database login (user, password or managed identity) and its permissions."];
      return pair.strategy === 'shared'
        ? [
            'The shared database server is not answering the watchdog: check SQL Server and the network path from Azure.',
            'A failover does not help here: both servers use this database.',
          ]
        : [
            `Check SQL Server on ${pair.primary.hostName} and the network path from Azure.`,
            "The watchdog will not fail over on this signal alone: it also needs the Primary agent's silence.",
          ];
    default:
      return [];
  }
}
