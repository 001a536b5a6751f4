import type { FenceRecord } from '../contracts/fenceRecord';
import type { BackupAssessment } from './backupAssessment';
import type { FailoverDecisionInput, FailoverRequest } from './failoverPolicy';
import type { HeartbeatAssessment } from './heartbeatAssessment';
import type { PairDefinition } from './pair';
import { maintenanceActive, type PairControl } from './pairControl';
import { DEFAULT_FAILOVER_SETTINGS } from './runbookSettings';

/** What the stored records say, as the decision policy takes it: the one reading for the monitor, the trigger and the runbook. */
export function failoverDecisionInput(
  pair: PairDefinition,
  heartbeat: HeartbeatAssessment,
  records: {
    readonly backup?: BackupAssessment | undefined;
    readonly control?: PairControl | undefined;
    readonly fence?: FenceRecord | undefined;
    readonly request?: FailoverRequest | undefined;
  },
  now: Date,
): FailoverDecisionInput {
  const { backup, control, fence, request } = records;
  return {
    pair,
    heartbeat,
    ...(backup ? { backup } : {}),
    maintenance: maintenanceActive(control, now),
    ...(control?.lastFailover
      ? { previousFailover: { at: control.lastFailover.completedAt, acknowledged: control.lastFailover.acknowledgedAt !== undefined } }
      : {}),
    restartsInPlace: control?.restartsInPlace ?? [],
    ...(fence ? { fence } : {}),
    ...(request ? { request } : {}),
    settings: pair.failover ?? DEFAULT_FAILOVER_SETTINGS,
    now,
  };
}
