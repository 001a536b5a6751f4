import { failoverInstanceId } from '../contracts/failoverContract';
import type { BackupAssessment } from '../domain/backupAssessment';
import { isRunning } from '../ports/orchestrationClient.port';
import { WatchdogError } from '../domain/errors';
import { failoverDecisionInput } from '../domain/failoverDecisionInput';
import { decideFailover, type FailoverDecision } from '../domain/failoverPolicy';
import type { HeartbeatAssessment } from '../domain/heartbeatAssessment';
import type { Notification } from '../domain/notification';
import type { PairDefinition } from '../domain/pair';
import { restartInPlaceMessage, restartUnavailableMessage } from '../domain/restartMessages';
import type { BackupRecordState } from './backupMonitor';
import { readFence, readPairControl } from './failoverFacts';
import type { HeartbeatRecord, MonitorDeps } from './heartbeatMonitor';
import { toMonitorDecision } from './monitorDecision';
import { enqueue, flushOutbox } from './outbox';
import { restartPrimaryInPlace, type RestartOutcome } from './restartPrimaryInPlace';
import { startAutomaticFailover, type AutomaticFailoverOutcome } from './startAutomaticFailover';
import { stateKeys } from './stateKeys';
import { updateRecord } from './updateRecord';

/** What the monitor did about a pair's failover decision on one pass. */
export type TriggerOutcome =
  /** 'none' and 'alert' decisions: the heartbeat alerts say all there is to say. */
  | { readonly kind: 'no-action' }
  | AutomaticFailoverOutcome
  | RestartOutcome
  /** Reading the records, starting the orchestration or sending the command failed: the next pass tries again. */
  | { readonly kind: 'failed'; readonly action: FailoverDecision['action'] | 'decide'; readonly code: string };

export interface TriggerResult {
  readonly decision?: Pick<FailoverDecision, 'action' | 'reason'>;
  readonly outcome: TriggerOutcome;
  readonly notified: number;
}

/**
 * After a pair's heartbeat check: decides with the fresh assessment, the control and fence
 * records and the backup monitor's newest assessment (copied pairs), acts on the decision,
 * and records it in the heartbeat record for the status route. Never throws: a failure is
 * logged with the pair and its code and returned, and the check it follows stands.
 *
 * The backup assessment is the backup monitor's (minutes old at most): it only shapes the gate's
 * reasons shown here; the runbook reads the newest backups itself before it decides anything.
 */
export async function respondToAssessment(deps: MonitorDeps, pair: PairDefinition, assessment: HeartbeatAssessment): Promise<TriggerResult> {
  let decision: FailoverDecision | undefined;
  try {
    const [control, fence, backup] = await Promise.all([
      readPairControl(deps.state, pair.id),
      readFence(deps.state, pair.id),
      pair.strategy === 'copied' ? readBackupAssessment(deps, pair.id) : Promise.resolve(undefined),
    ]);
    const now = deps.clock();
    decision = decideFailover(failoverDecisionInput(pair, assessment, { backup, control, fence }, now));
    const outcome: TriggerOutcome =
      decision.action === 'failover'
        ? await startAutomaticFailover(deps, pair, assessment, control, decision, now)
        : decision.action === 'restart-in-place'
          ? ((await runningFailover(deps, pair)) ?? (await restartPrimaryInPlace(deps, pair, control, fence, decision, now)))
          : { kind: 'no-action' };
    if (outcome.kind === 'unavailable') deps.logger.error(`automatic ${outcome.action} unavailable`, { pair: pair.id, reason: decision.reason, detail: outcome.detail });
    const notified = await recordDecision(deps, pair, assessment, decision, outcome, now);
    return { decision, outcome, notified };
  } catch (error) {
    const code = error instanceof WatchdogError ? error.code : 'UNEXPECTED';
    const action = decision?.action ?? 'decide';
    deps.logger.error('failover trigger failed; the next pass tries again', { pair: pair.id, action, code, error: error instanceof Error ? error.message : String(error) });
    return { ...(decision ? { decision } : {}), outcome: { kind: 'failed', action, code }, notified: 0 };
  }
}

/** Writes the decision and the messages it produced into the heartbeat record, then sends them. */
async function recordDecision(
  deps: MonitorDeps,
  pair: PairDefinition,
  assessment: HeartbeatAssessment,
  decision: FailoverDecision,
  outcome: TriggerOutcome,
  now: Date,
): Promise<number> {
  const key = stateKeys.heartbeat(pair.id);
  const link = deps.statusBaseUrl ? `${deps.statusBaseUrl}/api/pairs/${encodeURIComponent(pair.id)}` : undefined;
  const at = now.toISOString();
  const acted = outcome.kind === 'no-action' ? undefined : outcome.kind;
  let queued = 0;
  const written = await updateRecord<HeartbeatRecord>(deps.state, key, (current) => {
    if (current === undefined) return undefined;
    // A newer check owns the decision now; only a message about what this pass did still goes out.
    const ours = current.assessment.checkedAt === assessment.checkedAt;
    const episode = toMonitorDecision(current.decision, decision, at, acted);
    const fresh = messagesFor(pair, decision, outcome, episode.since, at, link).filter(
      (n) => !(episode.notified ?? []).includes(n.id) && (ours || outcome.kind === 'restart-ordered'),
    );
    queued = fresh.length;
    const outbox = fresh.reduce((box, n) => enqueue(box, n, deps.logger), [...current.outbox]);
    const next = ours ? toMonitorDecision(current.decision, decision, at, acted, fresh.map((n) => n.id)) : current.decision;
    return { ...current, ...(next ? { decision: next } : {}), outbox };
  });
  const record = written?.value;
  // The check already sent what was pending before: only this pass's new messages call for a send.
  return record && queued > 0 ? flushOutbox<HeartbeatRecord>(deps.state, key, record.outbox, deps.channels, deps.logger) : 0;
}

/**
 * A failover waiting at its gate (or further on) for the pair: restarting the Primary under it
 * would only be undone by its fence. When the status cannot be read, the restart goes ahead: it
 * is the recovery, and a later fence still stops the Primary.
 */
async function runningFailover(deps: MonitorDeps, pair: PairDefinition): Promise<TriggerOutcome | undefined> {
  if (!deps.orchestrations) return undefined;
  const instanceId = failoverInstanceId(pair.id);
  try {
    const status = await deps.orchestrations().getStatus(instanceId);
    return status && isRunning(status.runtimeStatus) ? { kind: 'failover-running', instanceId } : undefined;
  } catch (error) {
    deps.logger.warn('failover status unreadable; restarting in place anyway', { pair: pair.id, error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

function messagesFor(pair: PairDefinition, decision: FailoverDecision, outcome: TriggerOutcome, since: string, at: string, link: string | undefined): Notification[] {
  if (outcome.kind === 'restart-ordered') return [restartInPlaceMessage(pair, outcome.restart, link)];
  if (outcome.kind === 'unavailable' && outcome.action === 'restart-in-place') {
    return [restartUnavailableMessage(pair, since, at, outcome.detail, decision.evidence, link)];
  }
  return [];
}

async function readBackupAssessment(deps: MonitorDeps, pairId: string): Promise<BackupAssessment | undefined> {
  const stored = await deps.state.read<BackupRecordState>(stateKeys.backup(pairId));
  return stored?.value.assessment;
}
