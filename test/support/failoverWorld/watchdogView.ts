import type { AgentHeartbeat } from '../../../shared/contracts/agentCommands';
import { applyHeartbeat, assessAgent, type AgentLivenessRecord } from '../../../shared/domain/agentLiveness';
import { assessHeartbeat, type HeartbeatAssessment, type HeartbeatMonitorMemory } from '../../../shared/domain/heartbeatAssessment';
import type { HeartbeatReading } from '../../../shared/domain/heartbeatReading';
import { sameHost, type PairDefinition } from '../../../shared/domain/pair';
import type { HeartbeatRecord } from '../../../shared/services/heartbeatMonitor';
import { stateKeys } from '../../../shared/services/stateKeys';
import type { LockTable } from './lockTable';
import type { MemoryStateStore } from './memoryStateStore';

/**
 * The heartbeat monitor's part of the world: each check reads the Primary's lock (database
 * clock), takes the agents' newest heartbeats, and runs the real assessment, storing the record
 * the failover's facts are gathered from, as the timer function does in production.
 */
export class WatchdogView {
  private memory: HeartbeatMonitorMemory | undefined;
  private readonly liveness = new Map<string, AgentLivenessRecord>();
  private latest: HeartbeatAssessment | undefined;

  constructor(
    private readonly pair: PairDefinition,
    private readonly store: MemoryStateStore,
    private readonly now: () => Date,
    private readonly primaryDatabase: LockTable,
    private readonly agentIntervalSeconds: number,
  ) {}

  get assessment(): HeartbeatAssessment | undefined {
    return this.latest;
  }

  /** When the current run of unreachable readings began (the first failed read), if it is one. */
  get unreachableSince(): string | undefined {
    return this.memory?.run.state === 'unreachable' ? this.memory.run.since : undefined;
  }

  receiveHeartbeat(heartbeat: AgentHeartbeat): void {
    const next = applyHeartbeat(this.liveness.get(heartbeat.host.toLowerCase()), heartbeat, heartbeat.host, this.now());
    if (next) this.liveness.set(heartbeat.host.toLowerCase(), next);
  }

  check(): HeartbeatAssessment {
    const now = this.now();
    const reading: HeartbeatReading = this.primaryDatabase.reachable()
      ? { kind: 'row', ...this.primaryDatabase.read(), dbNowUtc: now }
      : { kind: 'failed', code: 'UNREACHABLE', message: `the database server of ${this.pair.primary.hostName} does not answer` };
    const agent = (host: string): ReturnType<typeof assessAgent> | undefined => {
      const record = [...this.liveness.values()].find((r) => sameHost(r.host, host));
      return record ? assessAgent(record, now, this.agentIntervalSeconds) : undefined;
    };
    const primary = agent(this.pair.primary.hostName);
    const secondary = agent(this.pair.secondary.hostName);
    const { memory, assessment } = assessHeartbeat(this.pair, this.memory, reading, now, {
      ...(primary ? { primary } : {}),
      ...(secondary ? { secondary } : {}),
    });
    this.memory = memory;
    this.latest = assessment;
    const record: HeartbeatRecord = { version: 1, memory, assessment, outbox: [] };
    this.store.put(stateKeys.heartbeat(this.pair.id), record);
    return assessment;
  }
}
