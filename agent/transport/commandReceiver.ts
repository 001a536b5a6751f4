import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';
import { SequentialReceiver, type Settlement } from '../../shared/adapters/servicebus/sequentialReceiver';
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

/**
 * The agent's receive loop on its command queue (peekLock, one command at a time in arrival order,
 * except that a `status` is answered at once while another command runs: see SequentialReceiver). Each command goes to the processor, then is settled by its outcome:
 * done -> complete, poison -> dead-letter with the reason, a thrown error (e.g. a reply that could
 * not be sent) -> abandon, so it comes back and the processor's idempotency ledger answers it
 * again. The SDK reconnects by itself (subscribe retries for ever); errors are only logged here.
 */
export class CommandReceiver {
  private readonly loop: SequentialReceiver;

  constructor(
    client: ServiceBusClient,
    private readonly options: CommandReceiverOptions,
  ) {
    const { logger, queueName } = options;
    const fields = (message: ServiceBusReceivedMessage): Record<string, unknown> => {
      const meta = receivedMeta(message);
      return { queue: queueName, messageId: meta.messageId ?? '(none)', deliveryCount: meta.deliveryCount };
    };
    this.loop = new SequentialReceiver(client, {
      queueName,
      maxLockRenewalMs: options.maxLockRenewalMs ?? DEFAULT_LOCK_RENEWAL_MS,
      stopGraceMs: options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
      // A status answers at once, even during an hour-long restore: it reads, it changes nothing.
      overtakes: isStatusCommand,
      handle: (message) => this.handle(message, fields(message)),
      onHandlerFailed: (message, error) => logger.warn('command not handled; abandoning it for redelivery', { ...fields(message), ...describeTransportError(error) }),
      // The processor's ledger makes a redelivery safe.
      onSettleFailed: (message, action, error) => logger.warn(`could not ${action} the command; it will be redelivered`, { ...fields(message), ...describeTransportError(error) }),
      onError: (args) => logger.warn('command receiver error', { queue: queueName, source: args.errorSource, ...describeTransportError(args.error) }),
    });
  }

  start(): void {
    if (this.loop.started) throw new Error('The command receiver is already started');
    this.loop.start();
    this.options.logger.info('command receiver started', { queue: this.options.queueName });
  }

  /** Stops taking commands, lets the one in hand finish (up to the grace period) and closes the link. */
  async stop(): Promise<void> {
    if (await this.loop.stop()) this.options.logger.info('command receiver stopped', { queue: this.options.queueName });
  }

  private async handle(message: ServiceBusReceivedMessage, fields: Record<string, unknown>): Promise<Settlement> {
    const outcome: ProcessOutcome = await this.options.processor.handle(message.body, receivedMeta(message), (reply, replyTo) => this.options.replies.send(reply, replyTo));
    if (outcome.kind === 'done') return { kind: 'complete' };
    this.options.logger.warn('poison command dead-lettered', { ...fields, reason: outcome.reason });
    return { kind: 'dead-letter', reason: outcome.reason, description: outcome.description };
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

/** Judged from the body as sent; anything malformed is not a status and waits its turn (to be dead-lettered). */
function isStatusCommand(message: ServiceBusReceivedMessage): boolean {
  const body: unknown = message.body;
  if (typeof body !== 'object' || body === null) return false;
  const command = (body as { command?: unknown }).command;
  return typeof command === 'object' && command !== null && (command as { type?: unknown }).type === 'status';
}
