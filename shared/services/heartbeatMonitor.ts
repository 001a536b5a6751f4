import { decideAlert } from '../domain/conditionChange';
import { assessAgent } from '../domain/agentLiveness';
import { assessHeartbeat, type AgentSignals, type HeartbeatAssessment, type HeartbeatMonitorMemory, type HeartbeatState } from '../domain/heartbeatAssessment';
import { heartbeatNotification } from '../domain/heartbeatMessages';
import type { PairDefinition } from '../domain/pair';
import type { HeartbeatSource } from '../ports/heartbeatSource.port';
import type { Logger } from '../ports/logger.port';
import type { StateStore } from '../ports/stateStore.port';
import type { ChannelDirectory } from './notificationDispatcher';
import { enqueue, flushOutbox, type WithOutbox } from './outbox';
import { runPairs, type PairOutcome } from './runPairs';
import { stateKeys } from './stateKeys';
import { readAgentLiveness } from './agentLiveness';
import { updateRecord } from './updateRecord';

export interface HeartbeatRecord extends WithOutbox {
  readonly version: 1;
  readonly memory: HeartbeatMonitorMemory;
  readonly assessment: HeartbeatAssessment;
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
}

export interface HeartbeatCheck {
  readonly state: HeartbeatState;
  readonly observed: HeartbeatState;
  readonly notified: number;
}

/** One heartbeat-monitor pass: every pair is read, assessed, recorded, and people told of changes. */
export function runHeartbeatPass(deps: MonitorDeps & { readonly heartbeats: HeartbeatSource }): Promise<PairOutcome<HeartbeatCheck>[]> {
  return runPairs(deps.pairs, deps.maxConcurrency, deps.logger, (pair) => checkHeartbeat(deps, pair));
}

export async function checkHeartbeat(deps: MonitorDeps & { readonly heartbeats: HeartbeatSource }, pair: PairDefinition): Promise<HeartbeatCheck> {
  const [reading, agents] = await Promise.all([deps.heartbeats.read(pair.id), readAgents(deps, pair)]);
  const now = deps.clock();
  const key = stateKeys.heartbeat(pair.id);
  const link = deps.statusBaseUrl ? `${deps.statusBaseUrl}/api/pairs/${encodeURIComponent(pair.id)}` : undefined;
  const written = await updateRecord<HeartbeatRecord>(deps.state, key, (current) => {
    // A late execution must not roll the record back over a newer check.
    if (current && Date.parse(current.memory.last.at) > now.getTime()) return undefined;
    const { memory, assessment } = assessHeartbeat(pair, current?.memory, reading, now, agents);
    const decision = decideAlert(current?.memory.confirmed?.state, memory.confirmed?.state, (s) => s === 'healthy');
    if (decision.kind === 'none') return { version: 1, memory, assessment, outbox: enqueue(current?.outbox ?? [], undefined, deps.logger) };
    deps.logger.warn('heartbeat condition changed', { pair: pair.id, from: decision.from ?? '(none)', to: decision.to });
    const notification = heartbeatNotification(pair, decision, assessment, link);
    return { version: 1, memory, assessment, outbox: enqueue(current?.outbox ?? [], notification, deps.logger) };
  });
  const record = written?.value;
  const notified = record ? await flushOutbox<HeartbeatRecord>(deps.state, key, record.outbox, deps.channels, deps.logger) : 0;
  return { state: record?.assessment.state ?? 'unreachable', observed: record?.assessment.observed ?? 'unreachable', notified };
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
