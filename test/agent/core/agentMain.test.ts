import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceBusClient } from '@azure/service-bus';
import { main } from '../../../agent/main';
import { createAgentServiceBusClient } from '../../../agent/transport/serviceBusClient';
import { agentHeartbeatSchema, commandQueueName, replySchema, WATCHDOG_INBOX_QUEUE, type InboxMessage } from '../../../shared/contracts/agentCommands';
import { AmqpBroker } from '../../support/amqpBroker';
import { fakeService, type FakeService } from '../service/fakeService';
import { commands, envelope, fenceContainer, HOST, releaseStorage, storageForTests } from './agentHarness';

// The whole agent as it runs on a host: configuration from the environment, the fence check,
// the real Service Bus client against the local AMQP broker, Azurite, the process-based service.
let broker: AmqpBroker;
let client: ServiceBusClient;
let svc: FakeService;
let stateDir: string;
let stopAgent: (() => Promise<void>) | undefined;

beforeAll(async () => {
  broker = await AmqpBroker.start({ queues: [{ name: WATCHDOG_INBOX_QUEUE }, { name: commandQueueName(HOST) }] });
  client = createAgentServiceBusClient({ kind: 'connectionString', connectionString: broker.connectionString }, { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } });
});

beforeEach(async () => {
  // main() logs to the console; the lines are kept out of the test output.
  for (const level of ['info', 'warn', 'error'] as const) jest.spyOn(console, level).mockImplementation(() => undefined);
  svc = await fakeService();
  stateDir = await mkdtemp(join(tmpdir(), 'agent-main-'));
});

afterEach(async () => {
  await stopAgent?.();
  stopAgent = undefined;
  await svc.cleanUp();
  await rm(stateDir, { recursive: true, force: true });
  jest.restoreAllMocks();
});

afterAll(async () => {
  await client.close();
  await broker.stop();
  await releaseStorage();
});

/** Takes inbox messages until `enough` holds for what was taken (or about 10 s pass). */
async function inboxUntil(enough: (taken: InboxMessage[]) => boolean): Promise<InboxMessage[]> {
  const receiver = client.createReceiver(WATCHDOG_INBOX_QUEUE, { receiveMode: 'receiveAndDelete' });
  const taken: InboxMessage[] = [];
  try {
    for (let i = 0; i < 50 && !enough(taken); i++) {
      for (const m of await receiver.receiveMessages(10, { maxWaitTimeInMs: 200 })) taken.push(m.body as InboxMessage);
    }
  } finally {
    await receiver.close();
  }
  return taken;
}

/** The environment of an agent on this test's host, over the broker, Azurite and the simulated service. */
async function hostEnv(fenceName: string, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  return {
    ADTEMPUS_AGENT_PAIR_ID: 'payroll',
    ADTEMPUS_AGENT_HOST_NAME: HOST,
    ADTEMPUS_AGENT_PRIMARY_HOST: HOST,
    ADTEMPUS_AGENT_SERVICEBUS_CONNECTION_STRING: broker.connectionString,
    ADTEMPUS_AGENT_FENCE_CONNECTION_STRING: await storageForTests(),
    ADTEMPUS_AGENT_FENCE_CONTAINER: fenceName,
    ADTEMPUS_AGENT_SERVICE_CONTROL: 'process',
    ADTEMPUS_AGENT_PROCESS_COMMAND: svc.options.command,
    ADTEMPUS_AGENT_PROCESS_ARGS: JSON.stringify(svc.options.args),
    ADTEMPUS_AGENT_PROCESS_READY_LINE: 'ready',
    ADTEMPUS_AGENT_STATE_DIR: stateDir,
    ADTEMPUS_AGENT_HEARTBEAT_SECONDS: '1',
    ...extra,
  };
}

describe('agent main', () => {
  it('with start at boot, starts adTempus before its first heartbeat, which never reports a service stopped on its own', async () => {
    const fence = await fenceContainer();
    await svc.control.setStartupType('manual');

    stopAgent = await main(await hostEnv(fence.name, { ADTEMPUS_AGENT_START_AT_BOOT: 'true' }));

    const beats = (await inboxUntil((taken) => taken.some((m) => m.kind === 'agentHeartbeat' && m.service.state === 'running'))).filter(
      (m): m is Extract<InboxMessage, { kind: 'agentHeartbeat' }> => m.kind === 'agentHeartbeat',
    );
    expect(beats.length).toBeGreaterThan(0);
    expect(beats.map((b) => b.service.state)).not.toContain('stopped');
    expect(beats.at(-1)).toMatchObject({ service: { state: 'running', stopOrdered: false }, fenced: false });
    expect((await svc.starts()).map((s) => s.parameters)).toEqual([[]]);
  });

  it('without start at boot, leaves a stopped adTempus stopped', async () => {
    const fence = await fenceContainer();
    await svc.control.setStartupType('manual');

    stopAgent = await main(await hostEnv(fence.name));

    const beat = (await inboxUntil((taken) => taken.some((m) => m.kind === 'agentHeartbeat'))).find((m) => m.kind === 'agentHeartbeat');
    expect(beat).toMatchObject({ service: { state: 'stopped' } });
    expect(await svc.starts()).toEqual([]);
  });

  it('starts adTempus on command and reports it in replies and heartbeats on the inbox', async () => {
    const fence = await fenceContainer();
    stopAgent = await main(await hostEnv(fence.name));
    // A fresh envelope's time window is around the real clock here: main() uses it.
    const now = Date.now();
    const command = envelope(commands.start(['-takedbcontrol']), { issuedAt: new Date(now).toISOString(), notAfter: new Date(now + 60_000).toISOString() });

    await client.createSender(commandQueueName(HOST)).sendMessages({ body: command, messageId: command.messageId, contentType: 'application/json' });
    const messages = await inboxUntil((taken) => taken.some((m) => m.kind === 'succeeded' || m.kind === 'failed'));

    const replies = messages.filter((m) => m.kind !== 'agentHeartbeat').map((m) => replySchema.parse(m));
    expect(replies.map((r) => r.kind)).toEqual(['accepted', 'succeeded']);
    expect(replies[1]).toMatchObject({ inReplyTo: command.messageId, result: { state: 'running', startupType: 'manual' } });
    await svc.ready();
    expect((await svc.starts()).map((s) => s.parameters)).toEqual([['-takedbcontrol']]);
    const runningBeat = (m: InboxMessage): boolean => m.kind === 'agentHeartbeat' && m.service.state === 'running';
    const heartbeat = (await inboxUntil((taken) => taken.some(runningBeat))).find(runningBeat);
    expect(agentHeartbeatSchema.parse(heartbeat)).toMatchObject({ host: HOST, service: { state: 'running', stopOrdered: false }, fenced: false });
  });
});
