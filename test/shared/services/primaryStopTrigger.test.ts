import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import { COMMAND_CONTRACT_VERSION, type AgentHeartbeat, type CommandEnvelope, type ServiceState } from '../../../shared/contracts/agentCommands';
import type { FailoverInput } from '../../../shared/contracts/failoverContract';
import type { PairConfigInput } from '../../../shared/config/configSchema';
import type { HeartbeatReading } from '../../../shared/domain/heartbeatReading';
import type { CommandChannel } from '../../../shared/ports/commandChannel.port';
import type { HeartbeatSource } from '../../../shared/ports/heartbeatSource.port';
import type { Logger } from '../../../shared/ports/logger.port';
import type { OrchestrationClient, StartResult } from '../../../shared/ports/orchestrationClient.port';
import { recordAgentHeartbeat, type InboxOutcome } from '../../../shared/services/agentLiveness';
import { readPairControl } from '../../../shared/services/failoverFacts';
import { runHeartbeatPass, type HeartbeatPairResult } from '../../../shared/services/heartbeatPass';
import type { MonitorDeps } from '../../../shared/services/heartbeatMonitor';
import { respondToPrimaryStop } from '../../../shared/services/primaryStopTrigger';
import { testStorage, type TestStorage } from '../../support/azurite';
import { resolvedPair } from '../../support/pairs';

const T0 = Date.parse('2026-11-22T03:00:00.000Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const iso = (seconds: number): string => at(seconds).toISOString();
const AGENT_INTERVAL = 5;
const POLICY = { staleThresholdSeconds: 60, consecutiveStaleChecks: 2, automaticFailover: true };

/** Records starts; every start succeeds, as if any earlier run had ended (aborted or rejected). */
class RecordingOrchestrations implements OrchestrationClient {
  readonly starts: FailoverInput[] = [];
  start(_name: string, _instanceId: string, input: unknown): Promise<StartResult> {
    this.starts.push(input as FailoverInput);
    return Promise.resolve({ started: true });
  }
  getStatus(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  raiseEvent(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

let storage: TestStorage;
let state: BlobStateStore;
let now: Date;
/** What the Primary's database says: the owner and its newest heartbeat. */
let lock: { owner: string | null; beat: Date | null };
let orchestrations: RecordingOrchestrations;
let sent: CommandEnvelope[];
let logs: string[];

beforeAll(async () => {
  storage = await testStorage();
});
afterAll(async () => {
  await storage.release();
});
beforeEach(() => {
  state = new BlobStateStore(BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(`stop-${randomUUID()}`));
  now = at(0);
  lock = { owner: 'ADT-PRI01', beat: at(-2) };
  orchestrations = new RecordingOrchestrations();
  sent = [];
  logs = [];
});

const logger: Logger = {
  info: (m, f) => void logs.push(`info: ${m} ${JSON.stringify(f ?? {})}`),
  warn: (m, f) => void logs.push(`warn: ${m} ${JSON.stringify(f ?? {})}`),
  error: (m, f) => void logs.push(`error: ${m} ${JSON.stringify(f ?? {})}`),
};
const commands: CommandChannel = {
  send: (envelope) => {
    sent.push(envelope);
    return Promise.resolve();
  },
  close: () => Promise.resolve(),
};

type Deps = MonitorDeps & { readonly heartbeats: HeartbeatSource };

function deps(failover: PairConfigInput['failover'] = { maxRestartsInPlace: 0 }): Deps {
  const pair = resolvedPair({ strategy: 'shared', policy: POLICY, ...(failover ? { failover } : {}) });
  const read = (): Promise<HeartbeatReading> => Promise.resolve({ kind: 'row', owner: lock.owner, heartbeatUtc: lock.beat, dbNowUtc: now });
  return {
    pairs: [pair],
    state,
    channels: { forPair: () => ({ preferred: [], fallback: [] }) },
    clock: () => now,
    logger,
    maxConcurrency: 1,
    agentHeartbeatIntervalSeconds: AGENT_INTERVAL,
    orchestrations: () => orchestrations,
    commands: () => commands,
    heartbeats: { read, close: () => Promise.resolve() },
  };
}

let sequence = 0;
/** The Primary's agent reports at `seconds`; the inbox records it, and acts as agentInbox does. */
async function primaryReports(d: Deps, seconds: number, service: ServiceState, stopOrdered = false): Promise<{ outcome: InboxOutcome; result?: HeartbeatPairResult }> {
  now = at(seconds);
  const heartbeat: AgentHeartbeat = {
    contract: COMMAND_CONTRACT_VERSION,
    kind: 'agentHeartbeat',
    pairId: 'erp',
    host: 'adt-pri01',
    sentAt: iso(seconds),
    sequence: ++sequence,
    bootId: 'boot-a',
    agentVersion: '0.1.0',
    intervalSeconds: AGENT_INTERVAL,
    service: { state: service, startupType: 'automatic', stopOrdered },
    epochSeen: 0,
    fenced: false,
  };
  const outcome = await recordAgentHeartbeat({ pairs: d.pairs, state, clock: () => now, logger }, heartbeat);
  if (outcome.kind !== 'heartbeat-recorded' || !outcome.primaryStopped) return { outcome };
  const result = await respondToPrimaryStop(d, 'erp');
  return { outcome, ...(result ? { result } : {}) };
}

async function passAt(d: Deps, seconds: number): Promise<HeartbeatPairResult> {
  now = at(seconds);
  const [outcome] = await runHeartbeatPass(d);
  return outcome!.result!;
}

describe('the inbox deciding on a Primary that stopped on its own', () => {
  it('starts the failover at the heartbeat that first reports the stop, with restarts in place disabled', async () => {
    const d = deps();
    await passAt(d, 0);
    expect((await primaryReports(d, 3, 'running')).outcome).toEqual({ kind: 'heartbeat-recorded' });
    expect(orchestrations.starts).toEqual([]);

    lock.beat = at(4);
    const { outcome, result } = await primaryReports(d, 8, 'stopped');

    expect(outcome).toEqual({ kind: 'heartbeat-recorded', primaryStopped: true });
    expect(result?.trigger).toMatchObject({ decision: { action: 'failover', reason: 'RESTARTS_EXHAUSTED' }, outcome: { kind: 'failover-started', waitsForApproval: false } });
    expect(orchestrations.starts).toEqual([expect.objectContaining({ pairId: 'erp', trigger: 'automatic', reason: 'RESTARTS_EXHAUSTED', requestedAt: iso(8), detectedAt: iso(4) })]);
    // The next heartbeat still says stopped: that is no new stop, and the inbox decides nothing.
    expect((await primaryReports(d, 13, 'stopped')).outcome).toEqual({ kind: 'heartbeat-recorded' });
    expect(orchestrations.starts).toHaveLength(1);
  });

  it('keeps one failover per outage across the inbox and the timer, even when the Primary wrote heartbeats after the last timer check and the first run has ended', async () => {
    const d = deps();
    await passAt(d, 0);
    // The service wrote heartbeats after the timer's check, then crashed.
    lock.beat = at(20);
    await primaryReports(d, 22, 'stopped');
    expect(orchestrations.starts.map((s) => s.detectedAt)).toEqual([iso(20)]);

    // The timer's passes over the same outage: still fresh, then stale pending, then confirmed.
    for (const seconds of [30, 90, 120, 150]) {
      await primaryReports(d, seconds - 1, 'stopped');
      const pass = await passAt(d, seconds);
      expect(pass.trigger?.outcome).toEqual({ kind: 'failover-already-triggered', instanceId: 'failover-erp' });
    }
    expect(orchestrations.starts).toHaveLength(1);
    expect((await readPairControl(state, 'erp'))?.lastAutomaticTrigger).toEqual({ conditionSince: iso(20), instanceId: 'failover-erp', at: iso(22) });
  });

  it('leaves a lock released by a clean stop alone, though the agent reports no stop ordered', async () => {
    const d = deps();
    await passAt(d, 0);
    lock.owner = null;
    const { outcome, result } = await primaryReports(d, 5, 'stopped');

    expect(outcome).toMatchObject({ primaryStopped: true });
    expect(result).toMatchObject({ state: 'released', trigger: { decision: { action: 'alert', reason: 'LOCK_RELEASED' }, outcome: { kind: 'no-action' } } });
    expect(orchestrations.starts).toEqual([]);
  });

  it('restarts in place first when restarts are allowed, once per observed stop', async () => {
    const d = deps({ maxRestartsInPlace: 1 });
    await passAt(d, 0);
    const first = await primaryReports(d, 5, 'stopped');
    expect(first.result?.trigger?.outcome).toMatchObject({ kind: 'restart-ordered', restart: { attempt: 1, max: 1 } });
    expect(sent.map((c) => [c.targetHost, c.command.type])).toEqual([['ADT-PRI01', 'startService']]);

    // Back, then down again: the restarts are used up and the failover starts from the inbox.
    await primaryReports(d, 30, 'running');
    lock.beat = at(300);
    await passAt(d, 301);
    const second = await primaryReports(d, 305, 'stopped');
    expect(second.result?.trigger).toMatchObject({ decision: { action: 'failover', reason: 'RESTARTS_EXHAUSTED' }, outcome: { kind: 'failover-started' } });
    expect(sent).toHaveLength(1);
  });

  it("does not act on an ordered stop or on the Secondary's stop", async () => {
    const d = deps();
    await passAt(d, 0);
    expect((await primaryReports(d, 5, 'stopped', true)).outcome).toEqual({ kind: 'heartbeat-recorded' });
    const secondary = await recordAgentHeartbeat(
      { pairs: d.pairs, state, clock: () => now, logger },
      { contract: COMMAND_CONTRACT_VERSION, kind: 'agentHeartbeat', pairId: 'erp', host: 'ADT-SEC01', sentAt: iso(6), sequence: 1, bootId: 'b', agentVersion: '0.1.0', service: { state: 'stopped', startupType: 'manual', stopOrdered: false }, epochSeen: 0, fenced: false },
    );
    expect(secondary).toEqual({ kind: 'heartbeat-recorded' });
    expect(orchestrations.starts).toEqual([]);
  });

  it('logs a failure and leaves the decision to the next timer pass', async () => {
    const d = { ...deps(), heartbeats: { read: () => Promise.reject(new Error('pool closed')), close: () => Promise.resolve() } };
    await expect(respondToPrimaryStop(d, 'erp')).resolves.toBeUndefined();
    expect(logs.join('\n')).toMatch(/error: deciding on the Primary's stop failed; the heartbeat monitor's next pass decides .*"pair":"erp".*pool closed/);
  });
});
