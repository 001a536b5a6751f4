/**
 * A test-only AMQP 1.0 broker that the real `@azure/service-bus` 7.9.x client talks to unmodified,
 * over TCP on 127.0.0.1. No Service Bus broker or emulator runs here (see TEST-NOTES.md).
 *
 *   const broker = await AmqpBroker.start({ queues: [{ name: 'commands', duplicateDetectionWindowMs: 60_000 }] });
 *   const client = new ServiceBusClient(broker.connectionString);
 *   ...
 *   await client.close();
 *   await broker.stop();
 *
 * Supports: CBS put-token (any token accepted); senders and receivers on queues and on
 * `<queue>/$DeadLetterQueue`; batch sends (format 0x80013700) unpacked into their messages;
 * peekLock (16-byte GUID lock tokens, locked-until, lock expiry, delivery count) and
 * receiveAndDelete; complete, abandon, dead-letter (with reason and description) and
 * MaxDeliveryCountExceeded; drain answered at once; `<entity>/$management` renew-lock, peek,
 * schedule-message, cancel-scheduled-message, update-disposition; scheduled sends
 * (scheduledEnqueueTimeUtc); per-queue duplicate detection on message_id; time-to-live expiry
 * when a message would be delivered; a message_id for messages sent without one;
 * "The messaging entity ... could not be found" (amqp:not-found) for unknown entities unless
 * `autoCreateQueues`. Inspection: `peekAll`, `deadLetters`, `counters`.
 *
 * Does not support: topics and subscriptions, sessions, defer / receive-deferred (settling
 * with defer fails with amqp:not-implemented), transactions, auto-forwarding, real
 * authorization (any token passes), message size limits, sending to a dead-letter queue
 * (refused with amqp:not-allowed), dead-lettering out of a dead-letter queue, persistence.
 * Locks outlive a closed receiver link until they expire, as on Service Bus. A receiver link
 * holds at most 2048 unsettled deliveries (rhea's session buffer); a delivery whose lock expired
 * keeps its slot until the client settles it (MessageLockLost) or closes the link.
 *
 * Waits no broker can shorten (they are the SDK's): on an empty queue receiveMessages always waits
 * its whole maxWaitTimeInMs (it drains only afterwards), and a peekLock receive that gets fewer
 * messages than asked waits up to one more second. Ask for the count you expect.
 */
import { once } from 'node:events';
import type { Server, Socket } from 'node:net';
import {
  create_container,
  type AmqpError,
  type Connection,
  type Container,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from 'rhea';
import { Consumer, type OutcomeKind } from './amqp/consumer';
import { Entity, zeroCounters, type EntityCounters } from './amqp/entity';
import { answerCbsRequest, answerManagementRequest } from './amqp/management';
import { acknowledgeInputPromptly, echoSettleModes } from './amqp/rheaInternals';
import { unpackTransfer, viewOf, type BrokeredMessageView } from './amqp/storedMessage';

export type { BrokeredMessageView } from './amqp/storedMessage';
export type { EntityCounters } from './amqp/entity';

export interface QueueOptions {
  name: string;
  /** Deliveries before a message is dead-lettered with MaxDeliveryCountExceeded. Default 10. */
  maxDeliveryCount?: number;
  /** Default 30000. Keep it above about 1100 ms when lock renewal is on: the SDK renews at once below 1 s. */
  lockDurationMs?: number;
  /** Drops a message whose message_id was seen within this window. Off when undefined. */
  duplicateDetectionWindowMs?: number;
}

export interface AmqpBrokerOptions {
  queues?: QueueOptions[];
  /** Create a queue (with defaults) the first time a client names it. Default false, as Service Bus. */
  autoCreateQueues?: boolean;
}

const DEAD_LETTER_SUFFIX = '/$deadletterqueue';
const MANAGEMENT_SUFFIX = '/$management';
const OUTCOMES: OutcomeKind[] = ['accepted', 'rejected', 'modified', 'released'];
/** Service Bus Standard's limit; the SDK sizes batches by the max-message-size of the attach. */
const MAX_MESSAGE_SIZE = 256 * 1024;

interface Queue {
  readonly main: Entity;
  readonly deadLetter: Entity;
}

export class AmqpBroker {
  private readonly container: Container = create_container({ id: 'amqp-test-broker' });
  private readonly queues = new Map<string, Queue>();
  private readonly sockets = new Set<Socket>();
  private readonly consumers = new Map<Connection, Set<Consumer>>();
  private readonly replyLinks = new Map<Connection, Map<string, Sender>>();
  private server: Server | undefined;
  private stopped = false;
  private listeningPort = 0;

  private constructor(private readonly autoCreateQueues: boolean) {}

  static async start(options: AmqpBrokerOptions = {}): Promise<AmqpBroker> {
    const broker = new AmqpBroker(options.autoCreateQueues ?? false);
    for (const queue of options.queues ?? []) broker.createQueue(queue);
    await broker.listen();
    return broker;
  }

  get port(): number {
    return this.listeningPort;
  }

  get connectionString(): string {
    return (
      `Endpoint=sb://127.0.0.1:${this.listeningPort};SharedAccessKeyName=RootManageSharedAccessKey;` +
      'SharedAccessKey=not-a-secret;UseDevelopmentEmulator=true'
    );
  }

  createQueue(options: QueueOptions): void {
    const key = options.name.toLowerCase();
    if (this.queues.has(key)) throw new Error(`Queue '${options.name}' already exists`);
    let sequenceNumber = 0;
    const next = (): number => ++sequenceNumber;
    const lockDurationMs = options.lockDurationMs ?? 30_000;
    const deadLetter = new Entity(`${options.name}/$DeadLetterQueue`, { maxDeliveryCount: Infinity, lockDurationMs }, next);
    const main = new Entity(
      options.name,
      {
        maxDeliveryCount: options.maxDeliveryCount ?? 10,
        lockDurationMs,
        duplicateDetectionWindowMs: options.duplicateDetectionWindowMs,
      },
      next,
      deadLetter,
    );
    this.queues.set(key, { main, deadLetter });
  }

  /** Every live message of a queue (available, locked, scheduled) in sequence order. */
  peekAll(queue: string): BrokeredMessageView[] {
    return this.queueNamed(queue).main.peek().map(viewOf);
  }

  deadLetters(queue: string): BrokeredMessageView[] {
    return this.queueNamed(queue).deadLetter.peek().map(viewOf);
  }

  /** Counters of one entity (`name` or `name/$DeadLetterQueue`), or of all entities summed. */
  counters(entityPath?: string): EntityCounters {
    if (entityPath !== undefined) {
      const entity = this.entityAt(entityPath, false);
      if (!entity) throw new Error(`No entity '${entityPath}'`);
      return { ...entity.counters };
    }
    const total = zeroCounters();
    for (const { main, deadLetter } of this.queues.values()) {
      for (const counters of [main.counters, deadLetter.counters]) {
        for (const key of Object.keys(total) as (keyof EntityCounters)[]) total[key] += counters[key];
      }
    }
    return total;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const set of this.consumers.values()) for (const consumer of set) consumer.close();
    for (const { main, deadLetter } of this.queues.values()) {
      main.close();
      deadLetter.close();
    }
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    const c = this.container;
    c.on('connection_open', (context: EventContext) => {
      this.consumers.set(context.connection, new Set());
      this.replyLinks.set(context.connection, new Map());
      acknowledgeInputPromptly(context.connection);
    });
    c.on('connection_close', (context: EventContext) => this.forget(context.connection));
    c.on('disconnected', (context: EventContext) => this.forget(context.connection));
    c.on('receiver_open', (context: EventContext) => this.onClientSender(context.receiver!));
    c.on('sender_open', (context: EventContext) => this.onClientReceiver(context.sender!));
    // A peer closing with an error is the client's business; without a listener rhea would throw it.
    c.on('error', () => undefined);

    const server = c.listen({
      host: '127.0.0.1',
      port: 0,
      // Without no-delay, Nagle's algorithm adds about 40 ms to every link attach.
      tcp_no_delay: true,
      sender_options: { treat_modified_as_released: false, max_message_size: MAX_MESSAGE_SIZE },
      receiver_options: { autoaccept: false, max_message_size: MAX_MESSAGE_SIZE },
    } as Parameters<Container['listen']>[0]);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('The broker did not get a TCP port');
    this.listeningPort = address.port;
  }

  /** A client sender attached: it targets a queue, `$cbs` or `<entity>/$management`. */
  private onClientSender(link: Receiver): void {
    const address = link.target?.address ?? '';
    if (address === '$cbs') {
      this.accept(link);
      link.on('message', (context: EventContext) => this.answer(context, answerCbsRequest(context.message!)));
      return;
    }
    if (address.toLowerCase().endsWith(MANAGEMENT_SUFFIX)) {
      const entity = this.entityAt(address.slice(0, -MANAGEMENT_SUFFIX.length), true);
      if (!entity) return this.refuse(link, this.notFound(address));
      this.accept(link);
      link.on('message', (context: EventContext) => this.answer(context, answerManagementRequest(entity, context.message!)));
      return;
    }
    const entity = this.entityAt(address, true);
    if (!entity) return this.refuse(link, this.notFound(address));
    if (!entity.deadLetterQueue) {
      return this.refuse(link, { condition: 'amqp:not-allowed', description: `Cannot send to '${address}'.` });
    }
    this.accept(link);
    link.on('message', (context: EventContext) => {
      const delivery = context.delivery!;
      try {
        const format = (context as EventContext & { format?: number }).format;
        for (const message of unpackTransfer(context.message as Message | Buffer, format)) entity.enqueue(message);
        delivery.accept();
      } catch (error) {
        delivery.reject({ condition: 'amqp:internal-error', description: String(error) });
      }
    });
  }

  /** A client receiver attached: it reads a queue, a dead-letter queue, or replies from `$cbs`/`$management`. */
  private onClientReceiver(link: Sender): void {
    const address = link.source?.address ?? '';
    const connection = link.connection;
    if (address === '$cbs' || address.toLowerCase().endsWith(MANAGEMENT_SUFFIX)) {
      this.accept(link);
      // CBS replies to the receiver's link name, $management to its target address.
      const replies = this.replyLinks.get(connection);
      const keys = [link.name, link.target?.address].filter((k): k is string => typeof k === 'string');
      for (const key of keys) replies?.set(key, link);
      link.on('sender_close', () => keys.forEach((key) => replies?.delete(key)));
      return;
    }
    const entity = this.entityAt(address, true);
    if (!entity) return this.refuse(link, this.notFound(address));
    echoSettleModes(link);
    this.accept(link);
    const consumer = new Consumer(link, entity, link.snd_settle_mode === 1 ? 'receiveAndDelete' : 'peekLock');
    this.consumers.get(connection)?.add(consumer);
    link.on('sendable', () => consumer.pump());
    link.on('sender_draining', () => consumer.requestDrain());
    for (const kind of OUTCOMES) link.on(kind, (context: EventContext) => consumer.onOutcome(kind, context.delivery!));
    link.on('sender_close', () => {
      consumer.close();
      this.consumers.get(connection)?.delete(consumer);
    });
    consumer.pump();
  }

  private answer(context: EventContext, response: Message): void {
    context.delivery!.accept();
    const to = typeof response.to === 'string' ? response.to : '';
    this.replyLinks.get(context.connection)?.get(to)?.send(response);
  }

  private accept(link: Sender | Receiver): void {
    if (link.source) link.set_source(link.source);
    if (link.target) link.set_target(link.target);
  }

  /** Service Bus refuses a link by attaching with a null terminus and detaching with the error. */
  private refuse(link: Sender | Receiver, error: AmqpError): void {
    link.close(error);
  }

  private notFound(address: string): AmqpError {
    return {
      condition: 'amqp:not-found',
      description:
        `The messaging entity 'sb://127.0.0.1:${this.listeningPort}/${address}' could not be found. ` +
        'To know more visit https://aka.ms/sbResourceMgrExceptions.',
    };
  }

  private entityAt(path: string, mayCreate: boolean): Entity | undefined {
    const lower = path.toLowerCase();
    const isDeadLetter = lower.endsWith(DEAD_LETTER_SUFFIX);
    const name = isDeadLetter ? path.slice(0, -DEAD_LETTER_SUFFIX.length) : path;
    if (name === '' || name.includes('/')) return undefined;
    if (!this.queues.has(name.toLowerCase()) && mayCreate && this.autoCreateQueues) this.createQueue({ name });
    const queue = this.queues.get(name.toLowerCase());
    return isDeadLetter ? queue?.deadLetter : queue?.main;
  }

  private queueNamed(name: string): Queue {
    const queue = this.queues.get(name.toLowerCase());
    if (!queue) throw new Error(`No queue '${name}'`);
    return queue;
  }

  private forget(connection: Connection): void {
    for (const consumer of this.consumers.get(connection) ?? []) consumer.close();
    this.consumers.delete(connection);
    this.replyLinks.delete(connection);
  }
}
