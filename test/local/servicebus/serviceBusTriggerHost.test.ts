import { app, type InvocationContext } from '@azure/functions';
import { ServiceBusClient, type ServiceBusMessage } from '@azure/service-bus';
import { getRegistration } from '../../../local/functionsCore';
import { startServiceBusTriggerHost, type ServiceBusTriggerHost } from '../../../local/servicebus/serviceBusTriggerHost';
import { AmqpBroker } from '../../support/amqpBroker';

interface Call {
  readonly body: unknown;
  readonly triggerMetadata: Record<string, unknown>;
  readonly functionName: string;
}

/** Each test scripts what the registered function does with a message; every call is recorded. */
let behaviour: (body: unknown, deliveryCount: number) => void | Promise<void> = () => undefined;
const calls: Call[] = [];

app.serviceBusQueue('probeInbox', {
  connection: 'ProbeBus',
  queueName: '%PROBE_QUEUE%',
  handler: async (body: unknown, context: InvocationContext) => {
    const triggerMetadata = { ...(context.triggerMetadata ?? {}) };
    calls.push({ body, triggerMetadata, functionName: context.functionName });
    await behaviour(body, triggerMetadata.deliveryCount as number);
  },
});

let broker: AmqpBroker;
let client: ServiceBusClient;
let host: ServiceBusTriggerHost | undefined;
let queue: string;
let suffix = 0;
const lines: string[] = [];

beforeAll(async () => {
  broker = await AmqpBroker.start();
  client = new ServiceBusClient(broker.connectionString);
});

afterAll(async () => {
  await client.close();
  await broker.stop();
});

beforeEach(() => {
  calls.length = 0;
  lines.length = 0;
  behaviour = () => undefined;
  queue = `probe-inbox-${++suffix}`;
});

afterEach(async () => {
  await host?.close();
  host = undefined;
});

function startHost(queueOptions: { maxDeliveryCount?: number } = {}): ServiceBusTriggerHost {
  broker.createQueue({ name: queue, ...queueOptions });
  host = startServiceBusTriggerHost({
    registrations: [getRegistration('probeInbox')],
    settings: { ProbeBus: broker.connectionString, PROBE_QUEUE: queue },
    log: (line) => lines.push(line),
  });
  return host;
}

async function send(...messages: ServiceBusMessage[]): Promise<void> {
  const sender = client.createSender(queue);
  // One at a time: each arrives as its own message, in order.
  for (const message of messages) await sender.sendMessages(message);
  await sender.close();
}

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('The condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('startServiceBusTriggerHost', () => {
  it('delivers a message to the function with its JSON body parsed and the host trigger metadata, then completes it', async () => {
    const started = startHost();
    expect(started.listening).toEqual([{ functionName: 'probeInbox', queueName: queue }]);

    await send({
      body: { kind: 'agentHeartbeat', host: 'ADT-PRI01' },
      messageId: 'm-1',
      correlationId: 'failover-erp/fence',
      applicationProperties: { source: 'agent', attempt: 3 },
    });
    await eventually(() => broker.counters(queue).completed === 1);

    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      functionName: 'probeInbox',
      body: { kind: 'agentHeartbeat', host: 'ADT-PRI01' },
      triggerMetadata: { messageId: 'm-1', deliveryCount: 1, correlationId: 'failover-erp/fence', applicationProperties: { source: 'agent', attempt: 3 } },
    });
    expect(new Date(calls[0]!.triggerMetadata.enqueuedTimeUtc as string).getTime()).not.toBeNaN();
    expect(broker.peekAll(queue)).toEqual([]);
  });

  it('hands over a body that is not JSON as a string, and JSON sent as bytes as its value', async () => {
    startHost();

    await send({ body: Buffer.from('not json at all'), messageId: 'text' }, { body: Buffer.from('{"kind":"bytes"}'), messageId: 'bytes' });
    await eventually(() => broker.counters(queue).completed === 2);

    expect(calls.map((c) => c.body)).toEqual(['not json at all', { kind: 'bytes' }]);
  });

  it('abandons a message whose function throws, so it comes back with delivery count 2 and is then completed', async () => {
    startHost();
    behaviour = (_body, deliveryCount) => {
      if (deliveryCount === 1) throw new Error('state write failed');
    };

    await send({ body: { n: 1 }, messageId: 'retry-me' });
    await eventually(() => broker.counters(queue).completed === 1);

    expect(calls.map((c) => [c.triggerMetadata.messageId, c.triggerMetadata.deliveryCount])).toEqual([
      ['retry-me', 1],
      ['retry-me', 2],
    ]);
    expect(broker.counters(queue)).toMatchObject({ abandoned: 1, completed: 1 });
    expect(lines.some((l) => l.includes('state write failed') && l.includes('abandoning'))).toBe(true);
  });

  it('takes one message at a time and settles two with different outcomes each by its own outcome (rhea would merge settlements in one tick)', async () => {
    startHost({ maxDeliveryCount: 2 });
    // Handlers wait on one gate, so two running at once would settle in the same tick. It opens
    // when a second handler joins, or after a moment when none does (the correct case).
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const fallback = setTimeout(() => open(), 300);
    let inFlight = 0;
    let maxInFlight = 0;
    behaviour = async (body) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      if (inFlight === 2) open();
      await gate;
      inFlight--;
      if ((body as { ok: boolean }).ok === false) throw new Error('poison');
    };

    await send({ body: { ok: false }, messageId: 'bad' }, { body: { ok: true }, messageId: 'good' });
    await eventually(() => broker.deadLetters(queue).length === 1 && broker.counters(queue).completed === 1);

    clearTimeout(fallback);
    expect(maxInFlight).toBe(1);
    expect(broker.deadLetters(queue)).toEqual([expect.objectContaining({ messageId: 'bad', deadLetterReason: 'MaxDeliveryCountExceeded' })]);
    expect(broker.counters(queue)).toMatchObject({ completed: 1, abandoned: 2 });
    expect(calls.filter((c) => c.triggerMetadata.messageId === 'good')).toHaveLength(1);
    expect(broker.peekAll(queue)).toEqual([]);
  });

  it('does not start a trigger whose connection has no setting, and says why', () => {
    host = startServiceBusTriggerHost({ registrations: [getRegistration('probeInbox')], settings: { PROBE_QUEUE: queue } });

    expect(host.listening).toEqual([]);
    expect(host.skipped).toEqual([{ functionName: 'probeInbox', reason: expect.stringContaining('ProbeBus') }]);
  });

  it('refuses to start when the queue name setting does not resolve', () => {
    expect(() => startServiceBusTriggerHost({ registrations: [getRegistration('probeInbox')], settings: { ProbeBus: broker.connectionString } })).toThrow('%PROBE_QUEUE%');
  });
});
