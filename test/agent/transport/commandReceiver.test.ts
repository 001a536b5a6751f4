import { randomUUID } from 'node:crypto';
import type { ServiceBusClient } from '@azure/service-bus';
import type { CommandProcessor, ProcessOutcome, ReceivedMeta } from '../../../agent/commandProcessor';
import { CommandReceiver } from '../../../agent/transport/commandReceiver';
import { ReplySender } from '../../../agent/transport/replySender';
import { createAgentServiceBusClient } from '../../../agent/transport/serviceBusClient';
import {
  COMMAND_CONTRACT_VERSION,
  WATCHDOG_INBOX_QUEUE,
  commandEnvelopeSchema,
  commandQueueName,
  type AgentReply,
  type CommandEnvelope,
  type ReplyKind,
} from '../../../shared/contracts/agentCommands';
import type { Logger } from '../../../shared/ports/logger.port';
import { AmqpBroker } from '../../support/amqpBroker';

const HOST = 'ADT-PRI01';
const QUEUE = commandQueueName(HOST);

let broker: AmqpBroker;
let client: ServiceBusClient;
let logs: string[];
let logger: Logger;

beforeAll(async () => {
  broker = await AmqpBroker.start({ queues: [{ name: WATCHDOG_INBOX_QUEUE }] });
  // Short retry delays: the receiver's reconnect loop waits retryDelayInMs between attempts.
  client = createAgentServiceBusClient({ kind: 'connectionString', connectionString: broker.connectionString }, { retryOptions: { maxRetries: 0, retryDelayInMs: 50, maxRetryDelayInMs: 50, timeoutInMs: 5_000 } });
});

afterAll(async () => {
  await client.close();
  await broker.stop();
});

// Each test gets fresh queues (a per-test suffix), so counters and leftovers cannot leak between tests.
let suffix = 0;
let queue: string;
let inbox: string;
let receiver: CommandReceiver | undefined;
let replies: ReplySender;

beforeEach(() => {
  suffix++;
  queue = `${QUEUE}-${suffix}`;
  inbox = `${WATCHDOG_INBOX_QUEUE}-${suffix}`;
  broker.createQueue({ name: queue });
  broker.createQueue({ name: inbox });
  logs = [];
  const line = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => void logs.push(`${level}: ${message} ${JSON.stringify(fields ?? {})}`);
  logger = { info: line('info'), warn: line('warn'), error: line('error') };
  replies = new ReplySender(client, { logger });
});

afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
  await replies.close();
});

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('The condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function envelope(overrides: Partial<CommandEnvelope> = {}): CommandEnvelope {
  const now = Date.now();
  return {
    contract: COMMAND_CONTRACT_VERSION,
    messageId: randomUUID(),
    pairId: 'erp',
    targetHost: HOST,
    epoch: 3,
    issuedAt: new Date(now).toISOString(),
    notAfter: new Date(now + 600_000).toISOString(),
    replyTo: inbox,
    correlationId: 'failover-erp-7:fence',
    command: { type: 'shipBackups' },
    ...overrides,
  };
}

function replyFor(command: CommandEnvelope, kind: ReplyKind): AgentReply {
  return {
    contract: COMMAND_CONTRACT_VERSION,
    kind,
    inReplyTo: command.messageId,
    correlationId: command.correlationId,
    pairId: command.pairId,
    host: command.targetHost,
    epoch: command.epoch,
    commandType: command.command.type,
    at: new Date().toISOString(),
  };
}

type Script = (command: CommandEnvelope, meta: ReceivedMeta, reply: (r: AgentReply, replyTo: string) => Promise<void>) => Promise<ProcessOutcome>;

/** A processor of the real shape whose behaviour each test scripts; it records what it saw. */
class ScriptedProcessor implements CommandProcessor {
  readonly seen: { command: CommandEnvelope; meta: ReceivedMeta }[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly script: Script) {}

  async handle(body: unknown, meta: ReceivedMeta, reply: (r: AgentReply, replyTo: string) => Promise<void>): Promise<ProcessOutcome> {
    const command = commandEnvelopeSchema.parse(body);
    this.seen.push({ command, meta });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.script(command, meta, reply);
    } finally {
      this.inFlight--;
    }
  }
}

function startReceiver(processor: CommandProcessor, queueName = queue): CommandReceiver {
  receiver = new CommandReceiver(client, { queueName, processor, replies, logger });
  receiver.start();
  return receiver;
}

async function sendCommands(...commands: CommandEnvelope[]): Promise<void> {
  const sender = client.createSender(queue);
  try {
    // One batch: the commands arrive as adjacent deliveries, where rhea's merge bug would bite.
    await sender.sendMessages(commands.map((c) => ({ body: c, messageId: c.messageId, correlationId: c.correlationId, replyTo: c.replyTo })));
  } finally {
    await sender.close();
  }
}

const answerAndFinish: Script = async (command, _meta, reply) => {
  await reply(replyFor(command, 'succeeded'), command.replyTo);
  return { kind: 'done' };
};

/** `poison` is dead-lettered, `flaky` fails once (abandoned, then handled), anything else is done. */
function threeOutcomes(poison: CommandEnvelope, flaky: CommandEnvelope): Script {
  let flakyFailures = 1;
  return async (command) => {
    if (command.messageId === poison.messageId) return { kind: 'poison', reason: 'MALFORMED', description: 'bad' };
    if (command.messageId === flaky.messageId && flakyFailures-- > 0) throw new Error('transport trouble');
    return { kind: 'done' };
  };
}

describe('CommandReceiver', () => {
  it('completes a command the processor handled, so it is gone from the queue', async () => {
    const processor = new ScriptedProcessor(answerAndFinish);
    const command = envelope();
    startReceiver(processor);
    await sendCommands(command);

    await eventually(() => broker.counters(queue).completed === 1);
    expect(broker.peekAll(queue)).toEqual([]);
    expect(processor.seen).toMatchObject([{ command: { messageId: command.messageId }, meta: { messageId: command.messageId, deliveryCount: 0 } }]);
    expect(processor.seen[0]!.meta.bodyBytes).toBe(Buffer.byteLength(JSON.stringify(command)));
  });

  it('sends each reply to the replyTo queue with the command correlation id, a fresh message id and the reply kind as subject', async () => {
    const processor = new ScriptedProcessor(async (command, _meta, reply) => {
      await reply(replyFor(command, 'accepted'), command.replyTo);
      await reply(replyFor(command, 'succeeded'), command.replyTo);
      return { kind: 'done' };
    });
    const command = envelope();
    startReceiver(processor);
    await sendCommands(command);

    await eventually(() => broker.peekAll(inbox).length === 2);
    const arrived = broker.peekAll(inbox);
    expect(arrived).toMatchObject([
      { correlationId: command.correlationId, subject: 'accepted', contentType: 'application/json', body: { kind: 'accepted', inReplyTo: command.messageId } },
      { correlationId: command.correlationId, subject: 'succeeded', contentType: 'application/json', body: { kind: 'succeeded', inReplyTo: command.messageId } },
    ]);
    const ids = arrived.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ids).not.toContain(command.messageId);
  });

  it('dead-letters a poison command with the processor reason and description', async () => {
    const processor = new ScriptedProcessor(async () => ({ kind: 'poison', reason: 'UNKNOWN_COMMAND', description: 'command type "format" is not known' }));
    const command = envelope();
    startReceiver(processor);
    await sendCommands(command);

    await eventually(() => broker.deadLetters(queue).length === 1);
    expect(broker.peekAll(queue)).toEqual([]);
    expect(broker.deadLetters(queue)).toMatchObject([
      { messageId: command.messageId, deadLetterReason: 'UNKNOWN_COMMAND', deadLetterErrorDescription: 'command type "format" is not known' },
    ]);
  });

  it('abandons a command whose reply could not be sent, and handles its redelivery with the delivery count one higher', async () => {
    const lateInbox = `late-replies-${suffix}`;
    const processor = new ScriptedProcessor(async (command, _meta, reply) => {
      try {
        await reply(replyFor(command, 'succeeded'), command.replyTo);
      } catch (error) {
        // The reply queue comes back for the redelivery (as after a broker-side outage).
        broker.createQueue({ name: lateInbox });
        throw error;
      }
      return { kind: 'done' };
    });
    const command = envelope({ replyTo: lateInbox });
    startReceiver(processor);
    await sendCommands(command);

    await eventually(() => broker.counters(queue).completed === 1);
    expect(processor.seen.map((s) => s.meta.deliveryCount)).toEqual([0, 1]);
    expect(broker.counters(queue)).toMatchObject({ abandoned: 1, completed: 1, deadLettered: 0 });
    expect(broker.peekAll(lateInbox)).toMatchObject([{ correlationId: command.correlationId, body: { inReplyTo: command.messageId } }]);
    expect(logs).toContainEqual(expect.stringContaining('command not handled; abandoning it for redelivery'));
  });

  it('settles adjacent commands with different outcomes each by its own outcome, one at a time', async () => {
    const [done, poison, flaky] = [envelope(), envelope(), envelope()];
    const processor = new ScriptedProcessor(threeOutcomes(poison, flaky));
    startReceiver(processor);
    await sendCommands(done, poison, flaky);

    await eventually(() => broker.counters(queue).completed === 2);
    // Settled in one tick, rhea 3.0.5 would have sent the first outcome (complete) for all three.
    expect(broker.counters(queue)).toMatchObject({ completed: 2, deadLettered: 1, abandoned: 1 });
    expect(broker.deadLetters(queue)).toMatchObject([{ messageId: poison.messageId, deadLetterReason: 'MALFORMED' }]);
    expect(processor.seen.map((s) => s.command.messageId)).toEqual([done.messageId, poison.messageId, flaky.messageId, flaky.messageId]);
    expect(processor.maxInFlight).toBe(1);
  });

  it('settles status commands handled side by side each by its own outcome, one settlement at a time', async () => {
    const status = { command: { type: 'status' as const } };
    const [done, poison, flaky] = [envelope(status), envelope(status), envelope(status)];
    const outcome = threeOutcomes(poison, flaky);
    let release!: () => void;
    const together = new Promise<void>((resolve) => (release = resolve));
    const processor = new ScriptedProcessor(async (command, meta, reply) => {
      // Held until all three are in hand, so that they finish in the same tick (a redelivery passes).
      if (processor.inFlight === 3) release();
      if (processor.seen.length <= 3) await together;
      return outcome(command, meta, reply);
    });
    startReceiver(processor);
    await sendCommands(done, poison, flaky);

    await eventually(() => broker.counters(queue).completed === 2);
    expect(broker.counters(queue)).toMatchObject({ completed: 2, deadLettered: 1, abandoned: 1 });
    expect(processor.maxInFlight).toBeGreaterThan(1);
  });

  it('answers a status at once while a long command runs, and keeps every other command waiting its turn in arrival order', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const long = envelope({ command: { type: 'shipBackups' } });
    const stop = envelope({ command: { type: 'stopService', timeoutSeconds: 60, killAfterTimeout: true } });
    const status = envelope({ command: { type: 'status' } });
    const processor = new ScriptedProcessor(async (command, meta, reply) => {
      if (command.messageId === long.messageId) await gate;
      return answerAndFinish(command, meta, reply);
    });
    startReceiver(processor);
    await sendCommands(long);
    await eventually(() => processor.inFlight === 1);
    await sendCommands(stop, status);

    await eventually(() => broker.peekAll(inbox).length === 1);
    const whileLongRuns = processor.seen.map((s) => s.command.messageId);
    release();
    await eventually(() => broker.counters(queue).completed === 3);

    expect(whileLongRuns).toEqual([long.messageId, status.messageId]);
    expect(processor.seen.map((s) => s.command.messageId)).toEqual([long.messageId, status.messageId, stop.messageId]);
    expect(broker.peekAll(inbox).map((m) => (m.body as AgentReply).inReplyTo)).toEqual([status.messageId, long.messageId, stop.messageId]);
  });

  it('logs a missing queue and keeps retrying until the queue exists', async () => {
    const laterQueue = `${QUEUE}-later-${suffix}`;
    const processor = new ScriptedProcessor(answerAndFinish);
    startReceiver(processor, laterQueue);

    await eventually(() => logs.some((l) => l.includes('command receiver error') && l.includes('MessagingEntityNotFound')));
    broker.createQueue({ name: laterQueue });
    const sender = client.createSender(laterQueue);
    const command = envelope();
    await sender.sendMessages({ body: command, messageId: command.messageId });
    await sender.close();

    await eventually(() => broker.counters(laterQueue).completed === 1);
    expect(processor.seen).toHaveLength(1);
  });

  it('lets the command in hand finish before stop() closes the receiver', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const processor = new ScriptedProcessor(async (command, _meta, reply) => {
      await gate;
      return answerAndFinish(command, _meta, reply);
    });
    const started = startReceiver(processor);
    await sendCommands(envelope());
    await eventually(() => processor.inFlight === 1);

    const stopped = started.stop();
    release();
    await stopped;
    receiver = undefined;

    expect(broker.counters(queue)).toMatchObject({ completed: 1, abandoned: 0 });
    expect(broker.peekAll(inbox)).toHaveLength(1);
    expect(logs).toContainEqual(expect.stringContaining('command receiver stopped'));
  });
});
