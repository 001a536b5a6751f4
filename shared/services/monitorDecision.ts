import { decideFailover, type DecisionReason, type FailoverAction, type FailoverDecision } from '../domain/failoverPolicy';
import type { HeartbeatAssessment } from '../domain/heartbeatAssessment';
import { sameHost, type PairDefinition } from '../domain/pair';
import type { FenceRecord } from '../contracts/fenceRecord';
import { stoppedOnItsOwn } from '../domain/restartInPlace';

/**
 * The failover policy's newest decision about a pair, as the heartbeat record keeps it for the
 * status route: what the watchdog would do, why, and what it did about it.
 */
export interface MonitorDecision {
  readonly action: FailoverAction;
  readonly reason: DecisionReason;
  readonly evidence: readonly string[];
  readonly decidedAt: string;
  /** The first pass in a row with this action and reason. */
  readonly since: string;
  /** What the monitor did on the pass that decided (e.g. "failover-started"), when it acted. */
  readonly outcome?: string;
  /**
   * Notifications already queued about this decision: the outbox forgets a message once it is
   * delivered, so without this a condition that lasts would be announced on every pass.
   */
  readonly notified?: readonly string[];
}

/** Ids kept in `notified`: a decision rarely produces more than one or two messages. */
const NOTIFIED_KEPT = 10;

export function toMonitorDecision(previous: MonitorDecision | undefined, decision: FailoverDecision, at: string, outcome?: string, notified: readonly string[] = []): MonitorDecision {
  const same = previous !== undefined && previous.action === decision.action && previous.reason === decision.reason;
  const kept = same ? (previous.notified ?? []) : [];
  const ids = [...kept, ...notified.filter((id) => !kept.includes(id))].slice(-NOTIFIED_KEPT);
  return {
    action: decision.action,
    reason: decision.reason,
    evidence: decision.evidence,
    decidedAt: at,
    since: same ? previous.since : at,
    ...(outcome !== undefined ? { outcome } : {}),
    ...(ids.length > 0 ? { notified: ids } : {}),
  };
}

/**
 * The decision when the assessment alone settles it: a healthy Primary whose service did not
 * stop on its own. Nothing the control or fence record holds (maintenance, restarts, a fence
 * naming the Secondary) can turn that into an action, so the monitor decides it without reading
 * them, which keeps a pass over healthy pairs as cheap as before. Anything else, and any policy
 * change that would make such a pair act, returns undefined: the full decision reads the records.
 * A fence record naming the Secondary settles every state the same way (ALREADY_FAILED_OVER,
 * nothing to act on), and the check has read it already.
 */
export function decisionWithoutRecords(pair: PairDefinition, assessment: HeartbeatAssessment, now: Date, fence?: FenceRecord): FailoverDecision | undefined {
  const base = { pair, heartbeat: assessment, maintenance: false, restartsInPlace: [], ...(pair.failover ? { settings: pair.failover } : {}), now };
  // After a failover every state decides ALREADY_FAILED_OVER: the watchdog never fails back on its own.
  if (fence && sameHost(fence.activeHost, pair.secondary.hostName)) return decideFailover({ ...base, fence });
  if (assessment.state !== 'healthy' || stoppedOnItsOwn(assessment.agents?.primary)) return undefined;
  const decision = decideFailover(base);
  return decision.action === 'none' ? decision : undefined;
}
