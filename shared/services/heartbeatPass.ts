import type { PairDefinition } from '../domain/pair';
import type { HeartbeatSource } from '../ports/heartbeatSource.port';
import { respondToAssessment, type TriggerResult } from './failoverTrigger';
import { checkHeartbeat, type HeartbeatCheck, type MonitorDeps } from './heartbeatMonitor';
import { runPairs, type PairOutcome } from './runPairs';

export interface HeartbeatPairResult extends HeartbeatCheck {
  /** What the failover trigger did; absent when the check alone settled the decision, or did not record its assessment. */
  readonly trigger?: TriggerResult;
}

/**
 * One heartbeat-monitor pass: every pair is read, assessed, recorded and people told of
 * changes; then the failover policy decides on the fresh assessment and the monitor acts
 * (starts the failover orchestration, or restarts the Primary's service in place).
 *
 * The check and the trigger live in separate modules because the failover facts (which the
 * trigger reads through) depend on the heartbeat record's type: the pass joins them.
 */
export function runHeartbeatPass(deps: MonitorDeps & { readonly heartbeats: HeartbeatSource }): Promise<PairOutcome<HeartbeatPairResult>[]> {
  return runPairs(deps.pairs, deps.maxConcurrency, deps.logger, (pair) => monitorPair(deps, pair));
}

export async function monitorPair(deps: MonitorDeps & { readonly heartbeats: HeartbeatSource }, pair: PairDefinition): Promise<HeartbeatPairResult> {
  const check = await checkHeartbeat(deps, pair);
  if (check.assessment === undefined || check.decision !== undefined) return check;
  return { ...check, trigger: await respondToAssessment(deps, pair, check.assessment) };
}

/** The pass's actions for its log line: failovers started, restarts ordered, and what failed or was unavailable. */
export function summarizeTriggers(outcomes: readonly PairOutcome<HeartbeatPairResult>[]): Record<string, unknown> {
  const by = (kinds: readonly string[]): string[] =>
    outcomes.filter((o) => o.result?.trigger !== undefined && kinds.includes(o.result.trigger.outcome.kind)).map((o) => o.pairId);
  const failed = outcomes.flatMap((o) => {
    const outcome = o.result?.trigger?.outcome;
    if (outcome?.kind === 'failed') return [{ pair: o.pairId, action: outcome.action, code: outcome.code }];
    if (outcome?.kind === 'unavailable') return [{ pair: o.pairId, action: outcome.action, code: 'UNAVAILABLE' }];
    return [];
  });
  return { failoversStarted: by(['failover-started']), restartsOrdered: by(['restart-ordered']), triggerFailures: failed };
}
