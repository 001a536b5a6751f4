import type { FailoverResult } from '../../../shared/contracts/failoverContract';
import type { FenceRecord } from '../../../shared/contracts/fenceRecord';
import type { Notification } from '../../../shared/domain/notification';
import { sameHost } from '../../../shared/domain/pair';
import type { InstanceStatus } from '../../../local/durable/durableEngine';
import type { SimulatedAdTempus } from './simulatedAdTempus';

/** How a run ended, with every broken rule. */
export interface RunVerdict {
  readonly runtimeStatus: string;
  readonly output?: FailoverResult;
  readonly violations: readonly string[];
}

export interface RunEnd {
  readonly status: InstanceStatus | undefined;
  /** Violations already seen while it ran (safety rules, faults of the world itself). */
  readonly seen: readonly string[];
  readonly notifications: readonly Notification[];
  readonly fence: FenceRecord | undefined;
  readonly secondary: SimulatedAdTempus;
}

/**
 * The end of a run against the rules: the orchestration Completed (never Failed), its outcome
 * one of completed, aborted or stalled, a message telling people that very end, and a completed
 * failover leaving the Secondary running under a fence record that names it.
 */
export function judgeRun(end: RunEnd): RunVerdict {
  const violations = [...end.seen];
  const { status } = end;
  if (status === undefined) return { runtimeStatus: 'missing', violations: [...violations, 'the orchestration was never started'] };
  if (status.runtimeStatus !== 'Completed') {
    violations.push(`the orchestration ended ${status.runtimeStatus}${status.failure ? `: ${status.failure.message}` : ''}`);
    return { runtimeStatus: status.runtimeStatus, violations };
  }
  const output = status.output as FailoverResult | undefined;
  if (output === undefined || !['completed', 'aborted', 'stalled'].includes(output.outcome)) {
    violations.push(`the orchestration's output has no known outcome: ${JSON.stringify(output)}`);
    return { runtimeStatus: status.runtimeStatus, violations };
  }
  const told = end.notifications.some(
    (n) => n.id.endsWith('/end') && n.facts.some((f) => f.name === 'Outcome' && f.value.startsWith(`${output.outcome} (${output.code})`)),
  );
  if (!told) violations.push(`no notification told people the run ended ${output.outcome} (${output.code})`);
  if (output.outcome === 'completed') {
    if (!end.fence || !sameHost(end.fence.activeHost, end.secondary.host)) violations.push('completed, but the fence record does not name the Secondary');
    if (end.secondary.state !== 'running') violations.push(`completed, but adTempus on the Secondary is ${end.secondary.state}`);
  }
  return { runtimeStatus: status.runtimeStatus, output, violations };
}
