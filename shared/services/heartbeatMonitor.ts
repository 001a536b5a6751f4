import { decideAlert } from '../domain/conditionChange';
import { assessAgent } from '../domain/agentLiveness';
import { assessHeartbeat, rolesSwapped, type AgentSignals, type HeartbeatAssessment, type HeartbeatMonitorMemory, type HeartbeatState } from '../domain/heartbeatAssessment';
import { heartbeatNotification } from '../domain/heartbeatMessages';
import type { FailoverDecision } from '../domain/failoverPolicy';
import { sameHost, type PairDefinition } from '../domain/pair';
import type { FenceRecord } from '../contracts/fenceRecord';
import { failoverInstanceId } from '../contracts/failoverContract';
import { pairControlSchema } from '../domain/pairControl';
import type { CommandChannel } from '../ports/commandChannel.port';
import type { HeartbeatSource } from '../ports/heartbeatSource.port';
import type { Logger } from '../ports/logger.port';
import { isRunning, type OrchestrationClient } from '../ports/orchestrationClient.port';
import type { StateStore } from '../ports/stateStore.port';
import { fenceOrPrimary } from './fenceOrPrimary';
import { decisionWithoutRecords, toMonitorDecision, type MonitorDecision } from './monitorDecision';
import type { ChannelDirectory } from './notificationDispatcher';
import { enqueue, flushOutbox, type WithOutbox } from './outbox';
import { stateKeys } from './stateKeys';
import { readAgentLiveness } from './agentLiveness';
import { updateRecord } from './updateRecord';

export interface HeartbeatRecord extends WithOutbox {
  readonly version: 1;
  readonly memory: HeartbeatMonitorMemory;
  readonly assessment: HeartbeatAssessment;
  /** The failover policy's newest decision (absent in records written before it existed). */
  readonly decision?: MonitorDecision;
  /** The host whose heartbeat `memory` follows, when not the configured Primary (after a failover). */
  readonly watchedHost?: string;
}

export interface MonitorDeps {
  readonly pairs: readonly PairDefinition[];
  readonly state: StateStore;
  readonly channels: ChannelDirectory;
  readonly clock: () => Date;
  readonly logger: Logger;
  readonly maxConcurrency: number;
  /** Base URL of the watchdog's status routes, for links in messages. */
  readonly statusBaseUrl?: string;
  /** Expected agent heartbeat interval; without it the agents' records are not consulted. */
  readonly agentHeartbeatIntervalSeconds?: number;
  /**
   * Starts automatic failovers, created on first use (the durable client of the invocation is
   * only needed by a pair that needs a failover); without it such a pair is logged as unable to.
   */
  readonly orchestrations?: () => OrchestrationClient;
  /** Commands to the agents (restart in place), created on first use: it may throw ConfigError. */
  readonly commands?: () => CommandChannel;
  /** Where agents send their replies (the commands' replyTo); WATCHDOG_INBOX_QUEUE when absent. */
  readonly inboxQueue?: string;
}

export interface HeartbeatCheck {
  readonly state: HeartbeatState;
  readonly observed: HeartbeatState;
  readonly notified: number;
  /** The assessment this check recorded; absent when a newer check had already written the record. */
  readonly assessment?: HeartbeatAssessment;
  /** Set when the assessment alone settled the failover decision (a healthy Primary): nothing to act on. */
  readonly decision?: FailoverDecision;
}

/**
 * Between the fence and the failover's close, the Primary stops (its lock goes stale or is
 * released) and the Secondary takes the lock: conditions that would alarm at any other time, and
 * that the failover's own messages report. While it runs they are seen but not confirmed, so they
 * raise no alert and the record goes on describing the Primary (the runbook's lock evidence reads
 * it). Anything else (an unexpected owner, an unreachable database) is confirmed and alerts as
 * always, and so is everything once the failover has ended, stalled included.
 */
const TAKEOVER_STATES: ReadonlySet<HeartbeatState> = new Set(['stale', 'released', 'secondary-active']);

/**
 * Reads a pair's database heartbeat (and its agents' records), records the assessment and tells
 * people of a changed condition. The pass (heartbeatPass.ts) then acts on the failover decision.
 */
export async function checkHeartbeat(deps: MonitorDeps & { readonly heartbeats: HeartbeatSource }, pair: PairDefinition): Promise<HeartbeatCheck> {
  // The fence is read beside the usual reading: only after a failover do more reads follow.
  const [primaryReading, fence] = await Promise.all([deps.heartbeats.read(pair.id), fenceOrPrimary(deps, pair)]);
  const afterFailover = (await failoverCompleted(deps, pair, fence))
    ? { epoch: fence!.epoch, activeHost: pair.secondary.hostName, configuredPrimary: pair.primary.hostName }
    : undefined;
  // After a failover the Secondary is the side expected to own the lock (a shared database is one database).
  const watched = afterFailover ? rolesSwapped(pair) : pair;
  // Fenced, not closed, and the failover still runs: it is stopping the Primary and starting the Secondary right now.
  const takeoverUnderway = !afterFailover && fence !== undefined && sameHost(fence.activeHost, pair.secondary.hostName) && (await failoverRunning(deps, pair));
  const [reading, agents] = await Promise.all([
    afterFailover && pair.strategy === 'copied' ? deps.heartbeats.read(pair.id, 'secondary') : Promise.resolve(primaryReading),
    readAgents(deps, watched),
  ]);
  const now = deps.clock();
  const key = stateKeys.heartbeat(pair.id);
  const link = deps.statusBaseUrl ? `${deps.statusBaseUrl}/api/pairs/${encodeURIComponent(pair.id)}` : undefined;
  let settled: FailoverDecision | undefined;
  const written = await updateRecord<HeartbeatRecord>(deps.state, key, (current) => {
    // A late execution must not roll the record back over a newer check.
    if (current && Date.parse(current.memory.last.at) > now.getTime()) return undefined;
    const watchedHost = watched.primary.hostName;
    // What the memory knew of the other side's heartbeats says nothing about this side's.
    const previous = current && !sameHost(current.watchedHost ?? pair.primary.hostName, watchedHost) ? withoutPrimaryHeartbeat(current.memory) : current?.memory;
    const { memory, assessment } = assessHeartbeat(watched, previous, reading, now, agents, afterFailover, takeoverUnderway ? TAKEOVER_STATES : undefined);
    settled = decisionWithoutRecords(pair, assessment, now, fence);
    // Otherwise the previous decision stands until the pass decides again with the records.
    const decision = settled ? toMonitorDecision(current?.decision, settled, assessment.checkedAt) : current?.decision;
    const change = decideAlert(current?.memory.confirmed?.state, memory.confirmed?.state, (s) => s === 'healthy');
    if (change.kind !== 'none') deps.logger.warn('heartbeat condition changed', { pair: pair.id, from: change.from ?? '(none)', to: change.to });
    const notification = change.kind === 'none' ? undefined : heartbeatNotification(watched, change, assessment, link);
    return {
      version: 1,
      memory,
      assessment,
      ...(afterFailover ? { watchedHost } : {}),
      ...(decision ? { decision } : {}),
      outbox: enqueue(current?.outbox ?? [], notification, deps.logger),
    };
  });
  const record = written?.value;
  const notified = record ? await flushOutbox<HeartbeatRecord>(deps.state, key, record.outbox, deps.channels, deps.logger) : 0;
  const ours = record !== undefined && record.assessment.checkedAt === now.toISOString();
  return {
    state: record?.assessment.state ?? 'unreachable',
    observed: record?.assessment.observed ?? 'unreachable',
    notified,
    ...(ours ? { assessment: record.assessment } : {}),
    ...(ours && settled ? { decision: settled } : {}),
  };
}

/**
 * The fence names the Secondary and the failover that raised it completed (its close recorded
 * the failover in the control record). Not before: while the runbook runs or stalls, its lock
 * evidence estimates the Primary's heartbeat age from this record's assessment, which must go on
 * describing the Primary until the Secondary has taken over.
 */
async function failoverCompleted(deps: MonitorDeps, pair: PairDefinition, fence: FenceRecord | undefined): Promise<boolean> {
  if (fence === undefined || !sameHost(fence.activeHost, pair.secondary.hostName)) return false;
  const stored = await deps.state.read<unknown>(stateKeys.control(pair.id));
  const parsed = stored === undefined ? undefined : pairControlSchema.safeParse(stored.value);
  if (parsed?.success === false) {
    deps.logger.error('control record unreadable: watching the configured Primary', { pair: pair.id, code: 'CONTROL_RECORD_INVALID' });
    return false;
  }
  const completedAt = parsed?.data.lastFailover?.completedAt;
  return completedAt !== undefined && Date.parse(completedAt) >= Date.parse(fence.updatedAt);
}

/** The pair's failover instance is pending or running; false when that cannot be told (alerts then flow as usual). */
async function failoverRunning(deps: MonitorDeps, pair: PairDefinition): Promise<boolean> {
  const client = deps.orchestrations?.();
  if (!client) return false;
  try {
    const instance = await client.getStatus(failoverInstanceId(pair.id));
    return instance !== undefined && isRunning(instance.runtimeStatus);
  } catch (error) {
    deps.logger.warn('failover status unreadable: heartbeat conditions alert as usual', { pair: pair.id, error: error instanceof Error ? error.message : String(error) });
    return false;
  }
}

function withoutPrimaryHeartbeat(memory: HeartbeatMonitorMemory): HeartbeatMonitorMemory {
  const { lastPrimaryHeartbeatUtc: _other, ...rest } = memory;
  return rest;
}

async function readAgents(deps: MonitorDeps, pair: PairDefinition): Promise<AgentSignals | undefined> {
  const interval = deps.agentHeartbeatIntervalSeconds;
  if (interval === undefined) return undefined;
  const [primary, secondary] = await Promise.all([
    readAgentLiveness(deps.state, pair.id, pair.primary.hostName),
    readAgentLiveness(deps.state, pair.id, pair.secondary.hostName),
  ]);
  if (!primary && !secondary) return undefined;
  // Read after the database heartbeat, judged against the same moment.
  const now = deps.clock();
  return {
    ...(primary ? { primary: assessAgent(primary, now, interval) } : {}),
    ...(secondary ? { secondary: assessAgent(secondary, now, interval) } : {}),
  };
}
