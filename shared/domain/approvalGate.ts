import type { AgentAssessment } from './agentLiveness';
import type { BackupAssessment } from './backupAssessment';
import { formatSeconds, type HeartbeatAssessment, type HeartbeatMonitorMemory } from './heartbeatAssessment';
import type { PairDefinition } from './pair';

/**
 * The failover runbook's gate (DESIGN.md, step 3): why a person must approve before the runbook
 * goes on. Every reason that holds is listed, so the person sees all of them at once.
 * - MANUAL_POLICY: the pair's policy does not allow automatic failover.
 * - PRIMARY_HEALTHY: a person asked for a failover while the Primary's heartbeat is fresh.
 * - PRIMARY_NOT_CONFIRMED_STOPPED: no live agent reports the Primary's service stopped, and its
 *   heartbeat is not known to be older than the takeover delay (unknown counts as younger).
 * - DATA_LOSS_OVER_RPO: (copied) the newest sound backup is older than the RPO budget, or there is
 *   none, or nothing is known about backups.
 * - COOL_DOWN_ACTIVE: an earlier failover is within the cool-down and nobody acknowledged it.
 */
export type GateReasonCode = 'MANUAL_POLICY' | 'PRIMARY_HEALTHY' | 'PRIMARY_NOT_CONFIRMED_STOPPED' | 'DATA_LOSS_OVER_RPO' | 'COOL_DOWN_ACTIVE';

export interface GateReason {
  readonly code: GateReasonCode;
  /** One line for the approval request; quoted in notifications (no secrets). */
  readonly detail: string;
}

export interface ApprovalGate {
  /** True when at least one reason holds: the runbook waits for a person. */
  readonly required: boolean;
  readonly reasons: readonly GateReason[];
}

/** The last failover of the pair, as the watchdog recorded it. */
export interface PreviousFailover {
  /** When it completed (ISO 8601, the watchdog's clock). */
  readonly at: string;
  /** A person acknowledged it: the cool-down ends early. */
  readonly acknowledged: boolean;
}

export interface GateFacts {
  readonly pair: PairDefinition;
  readonly heartbeat: HeartbeatAssessment;
  /** The newest backup assessment (copied pairs); absent: unknown, which counts as over budget. */
  readonly backup?: BackupAssessment;
  readonly previousFailover?: PreviousFailover;
  readonly coolDownSeconds: number;
  /** A person asked for this failover. */
  readonly requested: boolean;
  readonly now: Date;
}

export function approvalGate(facts: GateFacts): ApprovalGate {
  const { pair, heartbeat, now } = facts;
  const threshold = pair.policy.staleThresholdSeconds;
  const reasons: GateReason[] = [];
  if (!pair.policy.automaticFailover) {
    reasons.push({ code: 'MANUAL_POLICY', detail: 'the pair is set to manual failover: a person must approve every failover' });
  }
  if (facts.requested && heartbeat.state === 'healthy') {
    reasons.push({ code: 'PRIMARY_HEALTHY', detail: "the Primary's heartbeat is fresh: failing over a healthy Primary needs approval" });
  }
  const age = primaryHeartbeatAgeSeconds(heartbeat, now);
  if (!primaryConfirmedStopped(heartbeat.agents?.primary) && (age === undefined || age <= threshold)) {
    const ageText = age === undefined ? 'of unknown age' : `${formatSeconds(age)} old`;
    reasons.push({
      code: 'PRIMARY_NOT_CONFIRMED_STOPPED',
      detail: `no live agent confirms the Primary's service stopped, and its heartbeat is ${ageText} (takeover delay ${formatSeconds(threshold)})`,
    });
  }
  const loss = dataLossOverBudget(pair, facts.backup, now);
  if (loss !== undefined) reasons.push({ code: 'DATA_LOSS_OVER_RPO', detail: loss });
  const coolDown = activeCoolDown(facts.previousFailover, facts.coolDownSeconds, now);
  if (coolDown !== undefined) reasons.push({ code: 'COOL_DOWN_ACTIVE', detail: coolDown });
  return { required: reasons.length > 0, reasons };
}

/** A live agent reports the service stopped: the only confirmation the watchdog can have. */
export function primaryConfirmedStopped(agent: AgentAssessment | undefined): boolean {
  return agent !== undefined && agent.alive && agent.serviceState === 'stopped';
}

/**
 * The age of the Primary's database heartbeat at `now`, from every estimate the assessment
 * allows, taking the youngest (the safe side):
 * - the age read on the database clock at the check, plus the time since the check, when the
 *   check read the Primary's own heartbeat;
 * - `now` minus the newest Primary heartbeat ever seen (database clock against the watchdog's:
 *   a skew shows up here, which is why the first estimate is preferred when it is younger);
 * - for a stale condition, `now` minus `primaryDown.since` (covers an owner that never wrote one).
 * Undefined when nothing is known: callers treat that as "not older than the takeover delay".
 */
export function primaryHeartbeatAgeSeconds(heartbeat: HeartbeatAssessment, now: Date): number | undefined {
  const estimates: number[] = [];
  const sinceCheck = Math.max(0, (now.getTime() - Date.parse(heartbeat.checkedAt)) / 1000);
  if ((heartbeat.observed === 'healthy' || heartbeat.observed === 'stale') && heartbeat.heartbeatAgeSeconds !== undefined) {
    estimates.push(heartbeat.heartbeatAgeSeconds + sinceCheck);
  }
  if (heartbeat.lastPrimaryHeartbeatUtc !== undefined) estimates.push(secondsSince(heartbeat.lastPrimaryHeartbeatUtc, now));
  if (heartbeat.state === 'stale' && heartbeat.primaryDown.since !== undefined) estimates.push(secondsSince(heartbeat.primaryDown.since, now));
  const known = estimates.filter((e) => !Number.isNaN(e));
  return known.length === 0 ? undefined : Math.max(0, Math.min(...known));
}

/**
 * The youngest the Primary's heartbeat can be while its database does not answer: until the
 * database stopped answering the Primary may have gone on writing heartbeats the monitor never
 * saw, so only the time since the first failed check of the current run of failed checks is a
 * lower bound (the last heartbeat seen would overstate the age). Undefined when the monitor has
 * not seen the database fail: then nothing bounds it.
 */
export function unreadableHeartbeatAgeSeconds(memory: Pick<HeartbeatMonitorMemory, 'run'> | undefined, now: Date): number | undefined {
  const run = memory?.run;
  if (run === undefined || run.state !== 'unreachable') return undefined;
  const since = Date.parse(run.since);
  return Number.isNaN(since) ? undefined : Math.max(0, (now.getTime() - since) / 1000);
}

/** Why the data loss is over budget, or undefined when it is within it (or the pair shares its database). */
export function dataLossOverBudget(pair: PairDefinition, backup: BackupAssessment | undefined, now: Date): string | undefined {
  if (pair.strategy === 'shared') return undefined;
  const budget = pair.backup.rpoBudgetMinutes * 60;
  if (backup === undefined) return `no backup assessment is available: the data loss is unknown (RPO budget ${formatSeconds(budget)})`;
  const valid = backup.newestValid;
  if (valid === undefined) return `no sound backup to restore (${backup.state}): the data loss cannot be bounded (RPO budget ${formatSeconds(budget)})`;
  const age = secondsSince(valid.takenAt, now);
  if (Number.isNaN(age) || age > budget) {
    return `the newest sound backup (${valid.name}, taken ${valid.takenAt}) is ${formatSeconds(age || 0)} old: a failover now loses more than the RPO budget of ${formatSeconds(budget)}`;
  }
  return undefined;
}

/** What the cool-down says, or undefined when none is active. */
export function activeCoolDown(previous: PreviousFailover | undefined, coolDownSeconds: number, now: Date): string | undefined {
  if (previous === undefined || previous.acknowledged) return undefined;
  const ago = secondsSince(previous.at, now);
  if (!Number.isNaN(ago) && ago >= coolDownSeconds) return undefined;
  const until = Number.isNaN(Date.parse(previous.at)) ? 'unknown' : new Date(Date.parse(previous.at) + coolDownSeconds * 1000).toISOString();
  return `an earlier failover at ${previous.at} is not acknowledged and its cool-down of ${formatSeconds(coolDownSeconds)} runs until ${until}`;
}

function secondsSince(iso: string, now: Date): number {
  return (now.getTime() - Date.parse(iso)) / 1000;
}
