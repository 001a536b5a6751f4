import type { ServiceBusClient } from '@azure/service-bus';
import { HeartbeatSender, type HeartbeatFields, type HeartbeatSenderOptions } from '../../../agent/transport/heartbeatSender';
import { createAgentServiceBusClient } from '../../../agent/transport/serviceBusClient';
import { agentHeartbeatSchema } from '../../../shared/contracts/agentCommands';
import type { Logger } from '../../../shared/ports/logger.port';
import { AmqpBroker } from '../../support/amqpBroker';

let broker: AmqpBroker;
let client: ServiceBusClient;
let logs: string[];
let logger: Logger;
let queue: string;
let suffix = 0;
let sender: HeartbeatSender | undefined;

const FIELDS: HeartbeatFields = {
  pairId: 'erp',
  host: 'ADT-PRI01',
  agentVersion: '0.1.0',
  service: { state: 'running', startupType: 'automatic', stopOrdered: false },
  epochSeen: 4,
  fenced: false,
};

beforeAll(async () => {
  broker = await AmqpBroker.start();
  client = createAgentServiceBusClient({ kind: 'connectionString', connectionString: broker.connectionString }, { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } });
});

afterAll(async () => {
  await client.close();
  await broker.stop();
});

beforeEach(() => {
  suffix++;
  queue = `inbox-${suffix}`;
  broker.createQueue({ name: queue });
  logs = [];
  const line = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => void logs.push(`${level}: ${message} ${JSON.stringify(fields ?? {})}`);
  logger = { info: line('info'), warn: line('warn'), error: line('error') };
});

afterEach(async () => {
  await sender?.stop();
  sender = undefined;
});

function heartbeatSender(options: Partial<HeartbeatSenderOptions> = {}): HeartbeatSender {
  sender = new HeartbeatSender(client, { intervalMs: 1_000, fields: () => FIELDS, logger, queueName: queue, ...options });
  return sender;
}

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('The condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sequences = (): number[] => broker.peekAll(queue).map((m) => (m.body as { sequence: number }).sequence);

describe('HeartbeatSender', () => {
  it('numbers its heartbeats in order under one boot id, each valid and living three intervals', async () => {
    const s = heartbeatSender({ intervalMs: 10_000 });
    expect(await s.beat()).toBe(true);
    expect(await s.beat()).toBe(true);
    expect(await s.beat()).toBe(true);

    const arrived = broker.peekAll(queue);
    expect(sequences()).toEqual([0, 1, 2]);
    for (const m of arrived) {
      expect(agentHeartbeatSchema.parse(m.body)).toMatchObject({ ...FIELDS, bootId: s.bootId, kind: 'agentHeartbeat' });
      expect(m).toMatchObject({ timeToLiveMs: 30_000, subject: 'agentHeartbeat', contentType: 'application/json' });
    }
    expect(new Set(arrived.map((m) => m.messageId)).size).toBe(3);
  });

  it('gives each agent process its own boot id', () => {
    expect(heartbeatSender().bootId).not.toBe(new HeartbeatSender(client, { intervalMs: 1_000, fields: () => FIELDS, logger }).bootId);
  });

  it('beats on its own every interval until stopped', async () => {
    const s = heartbeatSender({ intervalMs: 10, timeToLiveMs: 5_000 });
    s.start();
    await eventually(() => broker.peekAll(queue).length >= 3);
    await s.stop();

    const count = broker.peekAll(queue).length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(broker.peekAll(queue)).toHaveLength(count);
    expect(sequences()).toEqual([...Array(count).keys()]);
  });

  it('never starts a beat while the previous one is still under way', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const s = heartbeatSender({
      intervalMs: 1,
      timeToLiveMs: 5_000,
      fields: async () => {
        reads++;
        if (reads === 1) await gate;
        return FIELDS;
      },
    });
    s.start();
    await eventually(() => reads === 1);
    const joined = s.beat();
    // Many intervals pass while the first beat hangs: none of them starts another.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(reads).toBe(1);

    release();
    expect(await joined).toBe(true);
    await eventually(() => reads >= 3);
    await s.stop();
    expect(sequences().slice(0, 3)).toEqual([0, 1, 2]);
  });

  it('goes on after failed sends without a backlog, and logs the outage once', async () => {
    const later = `inbox-later-${suffix}`;
    const s = heartbeatSender({ queueName: later });
    expect(await s.beat()).toBe(false);
    expect(await s.beat()).toBe(false);
    broker.createQueue({ name: later });
    expect(await s.beat()).toBe(true);

    // Only the fresh heartbeat arrives: the lost ones are not replayed.
    expect(broker.peekAll(later).map((m) => (m.body as { sequence: number }).sequence)).toEqual([2]);
    expect(logs.filter((l) => l.startsWith('warn: heartbeat not sent'))).toHaveLength(1);
    expect(logs).toContainEqual(expect.stringMatching(/^info: heartbeats are getting through again .*"lost":2/));
  });

  it('skips a beat whose fields cannot be read and sends the next one', async () => {
    let reads = 0;
    const s = heartbeatSender({
      fields: () => {
        if (++reads === 1) throw new Error('service query failed');
        return FIELDS;
      },
    });
    expect(await s.beat()).toBe(false);
    expect(await s.beat()).toBe(true);

    expect(sequences()).toEqual([1]);
    expect(logs).toContainEqual(expect.stringContaining('heartbeat not built; skipping this beat'));
  });
});
