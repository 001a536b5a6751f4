import { randomUUID } from 'node:crypto';
import { ServiceBusClient } from '@azure/service-bus';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import { ServiceBusCommandChannel } from '../../../shared/adapters/servicebus/serviceBusCommandChannel';
import { COMMAND_CONTRACT_VERSION, commandQueueName, type CommandEnvelope, type ServiceState } from '../../../shared/contracts/agentCommands';
import { routeReply, type FailoverInput } from '../../../shared/contracts/failoverContract';
import { fenceKey, type FenceRecord } from '../../../shared/contracts/fenceRecord';
import { ConfigError, WatchdogError } from '../../../shared/domain/errors';
import type { Notification } from '../../../shared/domain/notification';
import type { PairConfigInput } from '../../../shared/config/configSchema';
import type { AlertChannel } from '../../../shared/ports/alertChannel.port';
import type { CommandChannel } from '../../../shared/ports/commandChannel.port';
import type { HeartbeatSource } from '../../../shared/ports/heartbeatSource.port';
import type { Logger } from '../../../shared/ports/logger.port';
import type { OrchestrationClient, OrchestrationInstance, StartResult } from '../../../shared/ports/orchestrationClient.port';
import { recordAgentHeartbeat } from '../../../shared/services/agentLiveness';
import { readPairControl } from '../../../shared/services/failoverFacts';
import { runHeartbeatPass, type HeartbeatPairResult } from '../../../shared/services/heartbeatPass';
import type { HeartbeatRecord, MonitorDeps } from '../../../shared/services/heartbeatMonitor';
import { recordRestartInPlace, setMaintenance } from '../../../shared/services/pairControl';
import { stateKeys } from '../../../shared/services/stateKeys';
import { AmqpBroker } from '../../support/amqpBroker';
import { testStorage, type TestStorage } from '../../support/azurite';
import { resolvedPair } from '../../support/pairs';

const T0 = Date.parse('2026-11-22T03:00:00.000Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const iso = (seconds: number): string => at(seconds).toISOString();
const AGENT_INTERVAL = 5;
const POLICY = { staleThresholdSeconds: 60, consecutiveStaleChecks: 2, automaticFailover: true };

/** The orchestration client port as a test sees it: records starts, can fail or find one running. */
class RecordingOrchestrations implements OrchestrationClient {
  readonly starts: { name: string; instanceId: string; input: FailoverInput }[] = [];
  failNext = false;
  running = false;
  start(name: string, instanceId: string, input: unknown): Promise<StartResult> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new WatchdogError('ORCHESTRATION_CLIENT_FAILED', 'the task hub did not answer'));
    }
    if (this.running) {
      const existing = { instanceId, name, runtimeStatus: 'Running', createdAt: iso(-60), lastUpdatedAt: iso(-60) } as const;
      return Promise.resolve({ started: false, existing });
    }
    this.starts.push({ name, instanceId, input: input as FailoverInput });
    return Promise.resolve({ started: true });
  }
  getStatus(instanceId: string): Promise<OrchestrationInstance | undefined> {
    return Promise.resolve(this.running ? { instanceId, name: 'failover', runtimeStatus: 'Running', createdAt: iso(-60), lastUpdatedAt: iso(-60) } : undefined);
  }
  raiseEvent(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

let storage: TestStorage;
let broker: AmqpBroker;
let hosts = 0;
/** The Primary's host: a fresh one (with its own command queue) per test. */
let PRIMARY: string;
let sbClient: ServiceBusClient;
let commands: ServiceBusCommandChannel;

let state: BlobStateStore;
let now: Date;
let lastBeat: Date;
let orchestrations: RecordingOrchestrations;
let sent: Notification[];
let logs: string[];

beforeAll(async () => {
  storage = await testStorage();
  broker = await AmqpBroker.start();
  sbClient = new ServiceBusClient(broker.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } });
});

afterAll(async () => {
  await commands?.close();
  await sbClient.close();
  await broker.stop();
  await storage.release();
});

beforeEach(async () => {
  state = new BlobStateStore(BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(`trigger-${randomUUID()}`));
  PRIMARY = `ADT-P${++hosts}`;
  broker.createQueue({ name: commandQueueName(PRIMARY), duplicateDetectionWindowMs: 600_000 });
  now = at(0);
  lastBeat = at(-5);
  orchestrations = new RecordingOrchestrations();
  sent = [];
  logs = [];
  await commands?.close();
  commands = new ServiceBusCommandChannel(sbClient, { logger: testLogger(), clock: () => now });
});

function testLogger(): Logger {
  const line = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => void logs.push(`${level}: ${message} ${JSON.stringify(fields ?? {})}`);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

const recordingChannel: AlertChannel = {
  kind: 'email',
  label: 'email:test',
  send: (n) => {
    sent.push(n);
    return Promise.resolve();
  },
};

type PassDeps = MonitorDeps & { readonly heartbeats: HeartbeatSource };

function deps(pairOverrides: Partial<PairConfigInput>, overrides: Partial<MonitorDeps> = {}): PassDeps {
  const base = resolvedPair();
  const pair = resolvedPair({ strategy: 'shared', policy: POLICY, primary: { ...base.primary, hostName: PRIMARY }, ...pairOverrides });
  return {
    pairs: [pair],
    state,
    channels: { forPair: () => ({ preferred: [recordingChannel], fallback: [] }) },
    clock: () => now,
    logger: testLogger(),
    maxConcurrency: 1,
    statusBaseUrl: 'https://watchdog.example.com',
    agentHeartbeatIntervalSeconds: AGENT_INTERVAL,
    orchestrations: () => orchestrations,
    commands: () => commands,
    inboxQueue: 'watchdog-inbox',
    // The Primary owns the lock; its heartbeat is whatever the test last let it write.
    heartbeats: { read: () => Promise.resolve({ kind: 'row', owner: pair.primary.hostName, heartbeatUtc: lastBeat, dbNowUtc: now }), close: () => Promise.resolve() },
    ...overrides,
  };
}

/** One pass at `seconds`; the single pair's result. */
async function passAt(seconds: number, d: PassDeps): Promise<HeartbeatPairResult> {
  now = at(seconds);
  const [outcome] = await runHeartbeatPass(d);
  expect(outcome).toMatchObject({ ok: true });
  return outcome!.result!;
}

/** The Primary's agent reports at `seconds` (the watchdog's receive time). */
async function primaryAgentReports(seconds: number, service: ServiceState, pairId = 'erp', host = PRIMARY): Promise<void> {
  const base = resolvedPair();
  await recordAgentHeartbeat(
    { pairs: [resolvedPair({ id: pairId, primary: { ...base.primary, hostName: host } })], state, clock: () => at(seconds), logger: testLogger() },
    {
      contract: COMMAND_CONTRACT_VERSION,
      kind: 'agentHeartbeat',
      pairId,
      host,
      sentAt: iso(seconds),
      sequence: T0 + seconds,
      bootId: 'boot-a',
      agentVersion: '0.1.0',
      intervalSeconds: AGENT_INTERVAL,
      service: { state: service, startupType: 'automatic', stopOrdered: false },
      epochSeen: 4,
      fenced: false,
    },
  );
}

const fence = (activeHost: string, epoch: number): Promise<unknown> =>
  state.write<FenceRecord>(fenceKey('erp'), { pairId: 'erp', epoch, activeHost, updatedAt: iso(-3600), reason: 'test' }, { absent: true });
const heartbeatRecord = async (): Promise<HeartbeatRecord> => (await state.read<HeartbeatRecord>(stateKeys.heartbeat('erp')))!.value;
const commandsOnQueue = (host = PRIMARY): CommandEnvelope[] => broker.peekAll(commandQueueName(host)).map((m) => m.body as CommandEnvelope);

describe('automatic failover', () => {
  it('starts once, on the first check, when the database heartbeat is stale and the Primary agent silent past the takeover delay, and again for a new condition', async () => {
    const d = deps({});
    lastBeat = at(-600);
    await primaryAgentReports(-600, 'running');

    // The first stale reading with the agent silent: the two signals confirm each other at once.
    const confirmed = await passAt(0, d);
    expect(confirmed.trigger).toMatchObject({ decision: { action: 'failover', reason: 'PRIMARY_HOST_LOST' }, outcome: { kind: 'failover-started', instanceId: 'failover-erp', waitsForApproval: false } });
    expect(orchestrations.starts).toEqual([
      {
        name: 'failover',
        instanceId: 'failover-erp',
        input: { pairId: 'erp', trigger: 'automatic', reason: 'PRIMARY_HOST_LOST', requestedAt: iso(0), detectedAt: iso(-600), evidence: expect.arrayContaining([expect.stringMatching(/Primary host may be lost/)]) },
      },
    ]);
    expect((await readPairControl(state, 'erp'))?.lastAutomaticTrigger).toEqual({ conditionSince: iso(-600), instanceId: 'failover-erp', at: iso(0) });
    expect((await heartbeatRecord()).decision).toMatchObject({ action: 'failover', reason: 'PRIMARY_HOST_LOST', outcome: 'failover-started', decidedAt: iso(0) });

    // The same condition, however often the monitor looks at it (and whatever became of the run).
    expect((await passAt(60, d)).trigger?.outcome).toEqual({ kind: 'failover-already-triggered', instanceId: 'failover-erp' });
    expect(orchestrations.starts).toHaveLength(1);

    // The Primary came back, then went down again: a new condition.
    lastBeat = at(85);
    expect((await passAt(90, d)).decision).toMatchObject({ action: 'none', reason: 'PRIMARY_HEALTHY' });
    expect((await passAt(200, d)).trigger?.outcome.kind).toBe('failover-started');
    expect((await passAt(230, d)).trigger?.outcome.kind).toBe('failover-already-triggered');
    expect(orchestrations.starts.map((s) => s.input.detectedAt)).toEqual([iso(-600), iso(85)]);
  });

  it('starts the orchestration even when the decision needs a person: the runbook waits at its gate', async () => {
    const d = deps({ policy: { ...POLICY, automaticFailover: false } });
    lastBeat = at(-600);
    await passAt(0, d);
    expect((await passAt(30, d)).trigger?.outcome).toEqual({ kind: 'failover-started', instanceId: 'failover-erp', waitsForApproval: true });
    expect(orchestrations.starts).toHaveLength(1);
  });

  it('tries a failed start again on the next pass, and the heartbeat check it followed stands', async () => {
    const d = deps({});
    lastBeat = at(-600);
    await passAt(0, d);
    orchestrations.failNext = true;
    const failed = await passAt(30, d);

    expect(failed).toMatchObject({ state: 'stale', notified: 1, trigger: { outcome: { kind: 'failed', action: 'failover', code: 'ORCHESTRATION_CLIENT_FAILED' } } });
    expect(logs.join('\n')).toMatch(/error: failover trigger failed; the next pass tries again .*"pair":"erp".*"code":"ORCHESTRATION_CLIENT_FAILED"/);
    expect((await readPairControl(state, 'erp'))?.lastAutomaticTrigger).toBeUndefined();
    expect((await heartbeatRecord()).assessment.checkedAt).toBe(iso(30));

    expect((await passAt(60, d)).trigger?.outcome.kind).toBe('failover-started');
    expect(orchestrations.starts).toHaveLength(1);
  });

  it('takes a run already under way (a person asked first) as this condition\'s failover', async () => {
    const d = deps({});
    orchestrations.running = true;
    lastBeat = at(-600);
    await passAt(0, d);
    expect((await passAt(30, d)).trigger?.outcome).toEqual({ kind: 'failover-running', instanceId: 'failover-erp' });
    orchestrations.running = false;
    expect((await passAt(60, d)).trigger?.outcome.kind).toBe('failover-already-triggered');
    expect(orchestrations.starts).toEqual([]);
  });

  it('logs and counts a pair that needs a failover when no orchestration client is wired, without losing the check', async () => {
    const { orchestrations: _none, ...withoutClient } = deps({});
    lastBeat = at(-600);
    await passAt(0, withoutClient);
    expect((await passAt(30, withoutClient)).trigger?.outcome).toMatchObject({ kind: 'unavailable', action: 'failover' });
    expect(logs.join('\n')).toMatch(/error: automatic failover unavailable .*"pair":"erp"/);
    expect((await readPairControl(state, 'erp'))?.lastAutomaticTrigger).toBeUndefined();
  });
});

describe('no automatic action', () => {
  it('decides a healthy Primary from the assessment alone, and records the decision for the status route', async () => {
    const d = deps({});
    const result = await passAt(0, d);

    expect(result.trigger).toBeUndefined();
    expect(result.decision).toMatchObject({ action: 'none', reason: 'PRIMARY_HEALTHY' });
    expect((await heartbeatRecord()).decision).toMatchObject({ action: 'none', reason: 'PRIMARY_HEALTHY', since: iso(0), decidedAt: iso(0) });
    expect((await passAt(30, d)).decision).toBeDefined();
    expect((await heartbeatRecord()).decision).toMatchObject({ since: iso(0), decidedAt: iso(30) });
    expect(await readPairControl(state, 'erp')).toBeUndefined();
    expect(orchestrations.starts).toEqual([]);
  });

  it('starts nothing in maintenance mode, while the stale heartbeat is still alerted', async () => {
    const d = deps({});
    await setMaintenance(state, 'erp', { by: 'alice', reason: 'patching' }, at(-60));
    lastBeat = at(-600);
    await passAt(0, d);
    const result = await passAt(30, d);

    expect(result.trigger?.decision).toMatchObject({ action: 'none', reason: 'MAINTENANCE' });
    expect(orchestrations.starts).toEqual([]);
    expect(sent.map((n) => n.title)).toEqual(['Primary heartbeat stale: Primary down suspected']);
    expect((await heartbeatRecord()).decision).toMatchObject({ action: 'none', reason: 'MAINTENANCE' });
  });

  it('starts nothing once a failover happened (the fence names the Secondary)', async () => {
    const d = deps({});
    await fence('ADT-SEC01', 5);
    lastBeat = at(-600);
    await passAt(0, d);
    expect((await passAt(30, d)).decision).toMatchObject({ action: 'none', reason: 'ALREADY_FAILED_OVER' });
    expect(orchestrations.starts).toEqual([]);
    expect(commandsOnQueue()).toEqual([]);
  });

  it('records an alert decision with its evidence and acts on nothing', async () => {
    const d = deps({});
    lastBeat = at(-600);
    await primaryAgentReports(-2, 'running');
    await passAt(0, d);
    expect((await passAt(3, d)).trigger).toMatchObject({ decision: { action: 'alert', reason: 'PRIMARY_HOST_ALIVE' }, outcome: { kind: 'no-action' } });
    expect((await heartbeatRecord()).decision?.evidence).toEqual(expect.arrayContaining([expect.stringMatching(/agent is alive and reports the service running/)]));
    expect(orchestrations.starts).toEqual([]);
  });
});

describe('restart in place', () => {
  it('orders no restart while a failover of the pair is under way (its fence decides about the Primary)', async () => {
    const d = deps({});
    orchestrations.running = true;
    await primaryAgentReports(-1, 'stopped');

    expect((await passAt(0, d)).trigger).toMatchObject({ decision: { action: 'restart-in-place' }, outcome: { kind: 'failover-running', instanceId: 'failover-erp' } });
    expect(commandsOnQueue()).toEqual([]);
    expect((await readPairControl(state, 'erp'))?.restartsInPlace ?? []).toEqual([]);
  });

  it("orders the Primary's agent to start the service where it is, with the pair's epoch, once per observed stop", async () => {
    const d = deps({});
    await fence(PRIMARY, 4);
    await primaryAgentReports(-1, 'stopped');
    const first = await passAt(0, d);

    expect(first.trigger).toMatchObject({ decision: { action: 'restart-in-place' }, outcome: { kind: 'restart-ordered', restart: { attempt: 1, max: 3 } } });
    const [command, ...others] = commandsOnQueue();
    expect(others).toEqual([]);
    expect(command).toMatchObject({
      pairId: 'erp',
      targetHost: PRIMARY,
      epoch: 4,
      issuedAt: iso(0),
      notAfter: iso(180),
      replyTo: 'watchdog-inbox',
      command: { type: 'startService', parameters: [], timeoutSeconds: 180 },
    });
    expect(routeReply(command!.correlationId)).toBeUndefined();
    expect((await readPairControl(state, 'erp'))?.restartsInPlace).toEqual([iso(0)]);
    expect(sent.map((n) => [n.title, n.summary])).toEqual([[`adTempus restarted in place on ${PRIMARY}`, expect.stringContaining('(attempt 1 of 3 in 15 min 0 s)')]]);

    // The agent still reports it stopped: the restart has not had its time yet.
    await primaryAgentReports(29, 'stopped');
    expect((await passAt(30, d)).trigger?.outcome.kind).toBe('restart-pending');
    expect(commandsOnQueue()).toHaveLength(1);
    expect((await readPairControl(state, 'erp'))?.restartsInPlace).toHaveLength(1);
    expect(sent).toHaveLength(1);

    // Past the start timeout and two agent heartbeats it still has not started: the next attempt.
    await primaryAgentReports(199, 'stopped');
    expect((await passAt(200, d)).trigger?.outcome).toMatchObject({ kind: 'restart-ordered', restart: { attempt: 2 } });
    expect(commandsOnQueue()).toHaveLength(2);
  });

  it('fails over once the restarts are used up, and does not start a second failover when the stale heartbeat is confirmed', async () => {
    const d = deps({});
    for (const seconds of [-600, -400, -200]) await recordRestartInPlace(state, 'erp', at(seconds));
    lastBeat = at(-600);
    await primaryAgentReports(-1, 'stopped');
    const result = await passAt(0, d);

    expect(result.trigger).toMatchObject({ decision: { action: 'failover', reason: 'RESTARTS_EXHAUSTED' }, outcome: { kind: 'failover-started', waitsForApproval: false } });
    expect(orchestrations.starts.map((s) => [s.input.reason, s.input.detectedAt])).toEqual([['RESTARTS_EXHAUSTED', iso(-600)]]);
    expect(commandsOnQueue()).toEqual([]);

    await primaryAgentReports(29, 'stopped');
    expect((await passAt(30, d)).trigger?.outcome.kind).toBe('failover-already-triggered');
    expect(orchestrations.starts).toHaveLength(1);
  });

  it('is reported once as unavailable when no Service Bus is configured, and orders nothing', async () => {
    const noServiceBus = (): CommandChannel => {
      throw new ConfigError(['ServiceBusConnection: required to send commands to agents']);
    };
    const d = deps({}, { commands: noServiceBus });
    await primaryAgentReports(-1, 'stopped');
    expect((await passAt(0, d)).trigger?.outcome).toMatchObject({ kind: 'unavailable', action: 'restart-in-place', detail: expect.stringMatching(/ServiceBusConnection/) });
    await primaryAgentReports(29, 'stopped');
    await passAt(30, d);

    expect(sent.map((n) => n.title)).toEqual([`adTempus stopped on ${PRIMARY} and the watchdog cannot restart it`]);
    expect(logs.filter((l) => l.startsWith('error: automatic restart-in-place unavailable'))).toHaveLength(2);
    expect((await readPairControl(state, 'erp'))?.restartsInPlace ?? []).toEqual([]);
  });

  it('takes back a restart whose command could not be sent, and sends it on the next pass', async () => {
    const host = `${PRIMARY}-NOQUEUE`;
    const d = deps({ id: 'crm', primary: { ...resolvedPair().primary, hostName: host } });
    await primaryAgentReports(-1, 'stopped', 'crm', host);
    // No queue for this host yet: Service Bus answers "entity not found".
    const failed = await passAt(0, d);
    expect(failed.trigger?.outcome).toMatchObject({ kind: 'failed', action: 'restart-in-place', code: 'COMMAND_SEND_FAILED' });
    expect((await readPairControl(state, 'crm'))?.restartsInPlace ?? []).toEqual([]);
    expect(sent).toEqual([]);

    broker.createQueue({ name: commandQueueName(host) });
    await primaryAgentReports(29, 'stopped', 'crm', host);
    expect((await passAt(30, d)).trigger?.outcome).toMatchObject({ kind: 'restart-ordered', restart: { attempt: 1 } });
    expect(commandsOnQueue(host).map((c) => c.command.type)).toEqual(['startService']);
    expect((await readPairControl(state, 'crm'))?.restartsInPlace).toEqual([iso(30)]);
  });
});
