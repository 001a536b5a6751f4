import type {
  ProcessErrorArgs,
  ServiceBusClient,
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
} from '@azure/service-bus';
import type { AgentReply } from '../../shared/contracts/agentCommands';
import type { Logger } from '../../shared/ports/logger.port';
import type { CommandProcessor, ProcessOutcome, ReceivedMeta } from '../commandProcessor';
import { describeTransportError } from './serviceBusClient';

export interface CommandReceiverOptions {
  /** The host's command queue: `commandQueueName(host)`. */
  readonly queueName: string;
  readonly processor: CommandProcessor;
  /** Where `reply` goes: normally a ReplySender. */
  readonly replies: { send(reply: AgentReply, replyTo: string): Promise<void> };
  readonly logger: Logger;
  /**
   * How long the SDK keeps renewing the lock of the command in hand. A restore may run for up to
   * a day (its timeoutSeconds bound); a lock lost meanwhile would hand the command out again
   * while it still runs. Default 25 hours.
   */
  readonly maxLockRenewalMs?: number;
  /** How long stop() waits for the command in hand before closing anyway (it is then redelivered). Default 30 s. */
  readonly stopGraceMs?: number;
}

const DEFAULT_LOCK_RENEWAL_MS = 25 * 60 * 60 * 1000;
const DEFAULT_STOP_GRACE_MS = 30_000;
/** Service Bus keeps these as application properties; long texts are cut, not refused. */
const MAX_DEAD_LETTER_REASON = 256;
const MAX_DEAD_LETTER_DESCRIPTION = 1024;

/**
 * The agent's receive loop on its command queue (peekLock). Each command goes to the processor,
 * then is settled by its outcome: done -> complete, poison -> dead-letter with the reason, a
 * thrown error (e.g. a reply that could not be sent) -> abandon, so it comes back and the
 * processor's idempotency ledger answers it again.
 *
 * One command at a time, and each settlement awaited before the next message is even taken:
 * rhea 3.0.5 merges the dispositions of adjacent deliveries settled in the same tick into one
 * frame carrying the first outcome, which would complete a command meant to be abandoned.
 * The SDK reconnects by itself (subscribe retries for ever); errors are only logged here.
 */
export class CommandReceiver {
  private receiver: ServiceBusReceiver | undefined;
  private subscription: { close(): Promise<void> } | undefined;
  private inHand: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly client: ServiceBusClient,
    private readonly options: CommandReceiverOptions,
  ) {}

  start(): void {
    if (this.receiver) throw new Error('The command receiver is already started');
    this.stopping = false;
    const receiver = this.client.createReceiver(this.options.queueName, {
      receiveMode: 'peekLock',
      maxAutoLockRenewalDurationInMs: this.options.maxLockRenewalMs ?? DEFAULT_LOCK_RENEWAL_MS,
    });
    this.receiver = receiver;
    this.subscription = receiver.subscribe(
      {
        processMessage: (message) => this.track(this.process(receiver, message)),
        processError: (args) => Promise.resolve(this.onError(args)),
      },
      { maxConcurrentCalls: 1, autoCompleteMessages: false },
    );
    this.options.logger.info('command receiver started', { queue: this.options.queueName });
  }

  /** Stops taking commands, lets the one in hand finish (up to the grace period) and closes the link. */
  async stop(): Promise<void> {
    const receiver = this.receiver;
    if (!receiver) return;
    this.stopping = true;
    await this.subscription?.close();
    if (this.inHand) await waitAtMost(this.inHand, this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    await receiver.close();
    this.receiver = undefined;
    this.subscription = undefined;
    this.options.logger.info('command receiver stopped', { queue: this.options.queueName });
  }

  private track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => {
      if (this.inHand === tracked) this.inHand = undefined;
    });
    this.inHand = tracked;
    return tracked;
  }

  /** Never throws: the SDK would abandon on its own, and a second settlement must not race ours. */
  private async process(receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage): Promise<void> {
    const meta = receivedMeta(message);
    const fields = { queue: this.options.queueName, messageId: meta.messageId ?? '(none)', deliveryCount: meta.deliveryCount };
    if (this.stopping) {
      // Taken while stopping: hand it back at once rather than let its lock run out.
      await this.settle(fields, 'abandon', () => receiver.abandonMessage(message));
      return;
    }
    let outcome: ProcessOutcome;
    try {
      outcome = await this.options.processor.handle(message.body, meta, (reply, replyTo) => this.options.replies.send(reply, replyTo));
    } catch (error) {
      this.options.logger.warn('command not handled; abandoning it for redelivery', { ...fields, ...describeTransportError(error) });
      await this.settle(fields, 'abandon', () => receiver.abandonMessage(message));
      return;
    }
    if (outcome.kind === 'done') {
      await this.settle(fields, 'complete', () => receiver.completeMessage(message));
      return;
    }
    this.options.logger.warn('poison command dead-lettered', { ...fields, reason: outcome.reason });
    await this.settle(fields, 'dead-letter', () =>
      receiver.deadLetterMessage(message, {
        deadLetterReason: outcome.reason.slice(0, MAX_DEAD_LETTER_REASON),
        deadLetterErrorDescription: outcome.description.slice(0, MAX_DEAD_LETTER_DESCRIPTION),
      }),
    );
  }

  private async settle(fields: Record<string, unknown>, action: string, settle: () => Promise<void>): Promise<void> {
    try {
      await settle();
    } catch (error) {
      // The lock was lost or the link dropped: Service Bus hands the command out again when the
      // lock expires, and the processor's ledger makes that safe.
      this.options.logger.warn(`could not ${action} the command; it will be redelivered`, { ...fields, ...describeTransportError(error) });
    }
  }

  private onError(args: ProcessErrorArgs): void {
    // The SDK retries the link with backoff for as long as the receiver is open.
    this.options.logger.warn('command receiver error', {
      queue: this.options.queueName,
      source: args.errorSource,
      ...describeTransportError(args.error),
    });
  }
}

function receivedMeta(message: ServiceBusReceivedMessage): ReceivedMeta {
  const id = message.messageId;
  return {
    ...(id !== undefined ? { messageId: Buffer.isBuffer(id) ? id.toString('hex') : String(id) } : {}),
    deliveryCount: message.deliveryCount ?? 0,
    ...(message.enqueuedTimeUtc ? { enqueuedAt: message.enqueuedTimeUtc } : {}),
    bodyBytes: bodyBytes(message),
  };
}

/** The body's size on the wire, so the processor can refuse oversized commands. */
function bodyBytes(message: ServiceBusReceivedMessage): number {
  const raw: unknown = message._rawAmqpMessage.body;
  if (Buffer.isBuffer(raw)) return raw.length;
  const body: unknown = message.body;
  if (Buffer.isBuffer(body)) return body.length;
  if (typeof body === 'string') return Buffer.byteLength(body);
  return Buffer.byteLength(JSON.stringify(body) ?? '');
}

async function waitAtMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
