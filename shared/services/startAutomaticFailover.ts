import { failoverInstanceId, type FailoverInput } from '../contracts/failoverContract';
import type { FailoverDecision } from '../domain/failoverPolicy';
import type { HeartbeatAssessment } from '../domain/heartbeatAssessment';
import type { PairDefinition } from '../domain/pair';
import type { PairControl } from '../domain/pairControl';
import type { Logger } from '../ports/logger.port';
import type { OrchestrationClient } from '../ports/orchestrationClient.port';
import type { StateStore } from '../ports/stateStore.port';
import { ORCHESTRATIONS } from '../../orchestrations/names';
import { recordAutomaticTrigger } from './pairControl';

export interface AutomaticFailoverDeps {
  readonly state: StateStore;
  readonly logger: Logger;
  readonly orchestrations?: () => OrchestrationClient;
}

export type AutomaticFailoverOutcome =
  | { readonly kind: 'failover-started'; readonly instanceId: string; readonly waitsForApproval: boolean }
  /** An instance was already running (a person's request, or an earlier pass): it handles this condition. */
  | { readonly kind: 'failover-running'; readonly instanceId: string }
  /** This condition already started its one automatic failover, whatever became of it. */
  | { readonly kind: 'failover-already-triggered'; readonly instanceId: string }
  | { readonly kind: 'unavailable'; readonly action: 'failover'; readonly detail: string };

type FailoverDecided = Extract<FailoverDecision, { action: 'failover' }>;

/**
 * Starts the failover orchestration for a condition the policy says needs one. It starts even
 * when the decision does not start automatically: the runbook then waits at its gate for a
 * person, who is told so by the runbook itself. One condition (from when the Primary was first
 * suspected down) starts at most one automatic failover: completed, aborted or rejected, the
 * people who saw it decide what happens next, not a loop of new attempts.
 *
 * The trigger is recorded only after the start succeeded, so a failed start is tried again on
 * the next pass; a start that throws propagates to the caller, which counts it.
 */
export async function startAutomaticFailover(
  deps: AutomaticFailoverDeps,
  pair: PairDefinition,
  assessment: HeartbeatAssessment,
  control: PairControl | undefined,
  decision: FailoverDecided,
  now: Date,
): Promise<AutomaticFailoverOutcome> {
  const conditionSince = conditionStart(assessment);
  const instanceId = failoverInstanceId(pair.id);
  const previous = control?.lastAutomaticTrigger;
  if (previous?.conditionSince === conditionSince) return { kind: 'failover-already-triggered', instanceId: previous.instanceId };
  if (deps.orchestrations === undefined) {
    return { kind: 'unavailable', action: 'failover', detail: 'no orchestration client is wired into the heartbeat monitor' };
  }
  const input: FailoverInput = {
    pairId: pair.id,
    trigger: 'automatic',
    reason: decision.reason,
    requestedAt: now.toISOString(),
    detectedAt: conditionSince,
    evidence: decision.evidence,
  };
  const started = await deps.orchestrations().start(ORCHESTRATIONS.failover, instanceId, input);
  await recordAutomaticTrigger(deps.state, pair.id, conditionSince, instanceId, now);
  if (!started.started) {
    deps.logger.warn('automatic failover not started: one is already running for the pair', { pair: pair.id, instanceId, status: started.existing.runtimeStatus });
    return { kind: 'failover-running', instanceId };
  }
  deps.logger.warn('automatic failover started', { pair: pair.id, instanceId, reason: decision.reason, waitsForApproval: !decision.startsAutomatically });
  return { kind: 'failover-started', instanceId, waitsForApproval: !decision.startsAutomatically };
}

/**
 * When the condition began, a value that stays the same for as long as it lasts: the monitor's
 * own answer once the Primary is suspected down (its last heartbeat, or when an unreachable
 * copied database began); before that (a service stopped with its restarts used up while the
 * stale heartbeat is still being confirmed) the Primary's last heartbeat, which is what a stale
 * condition will report once confirmed, so confirming it does not make a second condition.
 */
export function conditionStart(assessment: HeartbeatAssessment): string {
  return assessment.primaryDown.since ?? assessment.lastPrimaryHeartbeatUtc ?? assessment.since;
}
