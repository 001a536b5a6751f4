import { fenceKey, fenceRecordSchema, type FenceRecord } from '../contracts/fenceRecord';
import type { FailoverFacts } from '../contracts/failoverContract';
import { assessBackups, type BackupAssessment } from '../domain/backupAssessment';
import { readBackupRecord, type BackupRecord } from '../domain/backupContract';
import { WatchdogError } from '../domain/errors';
import { failoverDecisionInput } from '../domain/failoverDecisionInput';
import { decideFailover, type FailoverRequest } from '../domain/failoverPolicy';
import type { PairDefinition } from '../domain/pair';
import { pairControlSchema, type PairControl } from '../domain/pairControl';
import { DEFAULT_FAILOVER_SETTINGS } from '../domain/runbookSettings';
import type { BackupCatalog } from '../ports/backupCatalog.port';
import type { StateStore } from '../ports/stateStore.port';
import { NEWEST_BACKUPS_READ } from './backupMonitor';
import type { HeartbeatRecord } from './heartbeatMonitor';
import { stateKeys } from './stateKeys';

export interface FailoverFactsDeps {
  readonly pairs: readonly PairDefinition[];
  readonly state: StateStore;
  readonly backups: BackupCatalog;
  readonly clock: () => Date;
}

export class UnknownPairError extends WatchdogError {
  constructor(readonly pairId: string) {
    super('UNKNOWN_PAIR', `No pair with id '${pairId}' is configured`, { pairId });
  }
}

export function findPair(pairs: readonly PairDefinition[], pairId: string): PairDefinition {
  const pair = pairs.find((p) => p.id === pairId);
  if (!pair) throw new UnknownPairError(pairId);
  return pair;
}

/**
 * Everything the failover runbook decides on, read at one moment: the monitor's newest
 * heartbeat assessment (with the agents' view), the fence record, the pair's control record,
 * and (copied pairs) a fresh look at the newest backups, so the restore uses the newest sound
 * one even when the backup monitor last ran an hour ago.
 *
 * A record that fails to parse is treated as absent, the safe way: no heartbeat assessment means
 * the Primary is not known to be down; no fence record means the Primary is active.
 */
export async function gatherFailoverFacts(deps: FailoverFactsDeps, pairId: string, request?: FailoverRequest): Promise<FailoverFacts> {
  const pair = findPair(deps.pairs, pairId);
  const [heartbeatRecord, fence, control, backup] = await Promise.all([
    deps.state.read<HeartbeatRecord>(stateKeys.heartbeat(pair.id)),
    readFence(deps.state, pair.id),
    readPairControl(deps.state, pair.id),
    pair.strategy === 'copied' ? freshBackupAssessment(deps, pair) : Promise.resolve(undefined),
  ]);
  const now = deps.clock();
  const settings = pair.failover ?? DEFAULT_FAILOVER_SETTINGS;
  const heartbeat = heartbeatRecord?.value.assessment ?? neverChecked(pair, now);
  const decision = decideFailover(failoverDecisionInput(pair, heartbeat, { backup, control, fence, request }, now));
  const valid = backup?.newestValid;
  return {
    pair: { ...definitionOnly(pair), failover: settings },
    checkedAt: now.toISOString(),
    decision,
    epoch: fence?.epoch ?? 0,
    activeHost: fence?.activeHost ?? pair.primary.hostName,
    ...(valid?.sha256 !== undefined ? { backup: { ...valid, sha256: valid.sha256 } } : {}),
    ...(heartbeat.lastPrimaryHeartbeatUtc !== undefined ? { primaryLastHeartbeatUtc: heartbeat.lastPrimaryHeartbeatUtc } : {}),
    ...(heartbeat.primaryDown.since !== undefined ? { conditionSince: heartbeat.primaryDown.since } : {}),
  };
}

export async function readFence(state: StateStore, pairId: string): Promise<FenceRecord | undefined> {
  const stored = await state.read<unknown>(fenceKey(pairId));
  if (stored === undefined) return undefined;
  const parsed = fenceRecordSchema.safeParse(stored.value);
  // An unreadable fence record must never look like "the Primary is active": refuse to go on.
  if (!parsed.success) throw new WatchdogError('FENCE_RECORD_INVALID', `The fence record of pair ${pairId} does not parse; fix or remove it by hand`, { pairId });
  return parsed.data;
}

export async function readPairControl(state: StateStore, pairId: string): Promise<PairControl | undefined> {
  const stored = await state.read<unknown>(stateKeys.control(pairId));
  if (stored === undefined) return undefined;
  const parsed = pairControlSchema.safeParse(stored.value);
  if (!parsed.success) throw new WatchdogError('CONTROL_RECORD_INVALID', `The control record of pair ${pairId} does not parse; fix or remove it by hand`, { pairId });
  return parsed.data;
}

async function freshBackupAssessment(deps: FailoverFactsDeps, pair: PairDefinition): Promise<BackupAssessment> {
  const listing = await deps.backups.newest(pair.backup.container, pair.backup.prefix, NEWEST_BACKUPS_READ);
  const records = listing.blobs.map((b) => readBackupRecord(pair.backup.prefix, pair.id, b)).filter((r): r is BackupRecord => r !== undefined);
  return assessBackups(pair, records, listing.foreign, deps.clock());
}

/**
 * Facts cross the durable history, which is stored and shown: only the pair's definition goes in,
 * never the resolved configuration around it (passwords, webhook URLs, connection details).
 */
function definitionOnly(pair: PairDefinition): PairDefinition {
  const host = (h: PairDefinition['primary']): PairDefinition['primary'] => ({ hostName: h.hostName, machineId: h.machineId });
  const { policy, backup } = pair;
  return {
    id: pair.id,
    instanceName: pair.instanceName,
    strategy: pair.strategy,
    primary: host(pair.primary),
    secondary: host(pair.secondary),
    policy: { staleThresholdSeconds: policy.staleThresholdSeconds, consecutiveStaleChecks: policy.consecutiveStaleChecks, automaticFailover: policy.automaticFailover },
    backup: {
      container: backup.container,
      prefix: backup.prefix,
      rpoBudgetMinutes: backup.rpoBudgetMinutes,
      expectedIntervalMinutes: backup.expectedIntervalMinutes,
      maxShrinkPercent: backup.maxShrinkPercent,
    },
  };
}

/** The monitor has not checked this pair yet: nothing is known, which decides nothing automatically. */
function neverChecked(pair: PairDefinition, now: Date): HeartbeatRecord['assessment'] {
  const at = now.toISOString();
  return {
    pairId: pair.id,
    checkedAt: at,
    state: 'unreachable',
    since: at,
    observed: 'unreachable',
    observedCount: 0,
    requiredChecks: pair.policy.consecutiveStaleChecks,
    primaryDown: { suspected: false, conclusive: false },
    evidence: ['the heartbeat monitor has not checked this pair yet'],
  };
}
