import { randomUUID } from 'node:crypto';
import type { ServiceBusClient, ServiceBusSender } from '@azure/service-bus';
import { MAX_MESSAGE_BYTES, replySchema, type AgentReply } from '../../shared/contracts/agentCommands';
import type { Logger } from '../../shared/ports/logger.port';
import { AgentError } from '../agentErrors';

export interface ReplySenderOptions {
  readonly logger: Logger;
  /**
   * How long an unread reply stays useful. A failover waits minutes for one; a day covers a
   * watchdog outage and keeps the audit trail, without letting the inbox fill up for ever.
   */
  readonly timeToLiveMs?: number;
  /** Message ids; injected by tests. */
  readonly newId?: () => string;
}

export const DEFAULT_REPLY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Sends replies to the queue a command names in replyTo (normally the watchdog's inbox). Each
 * reply is its own message with a fresh id: a repeated reply (after a redelivered command) is
 * a new message the watchdog dedupes by content, and must not be dropped by duplicate detection.
 */
export class ReplySender {
  private readonly senders = new Map<string, ServiceBusSender>();

  constructor(
    private readonly client: ServiceBusClient,
    private readonly options: ReplySenderOptions,
  ) {}

  /** Resolves once the broker took the reply; rejects when it could not be sent (the caller abandons the command). */
  async send(reply: AgentReply, replyTo: string): Promise<void> {
    const checked = replySchema.safeParse(reply);
    if (!checked.success) {
      const problems = checked.error.issues.map((i) => `${i.path.join('.') || '(reply)'}: ${i.message}`);
      throw new AgentError('REPLY_INVALID', `Refused to send an invalid reply: ${problems.join('; ')}`, { inReplyTo: String(reply.inReplyTo) });
    }
    const bytes = Buffer.byteLength(JSON.stringify(checked.data));
    if (bytes > MAX_MESSAGE_BYTES) {
      throw new AgentError('REPLY_TOO_LARGE', `A reply of ${bytes} bytes exceeds the limit of ${MAX_MESSAGE_BYTES}`, { inReplyTo: reply.inReplyTo });
    }
    const messageId = (this.options.newId ?? randomUUID)();
    await this.senderFor(replyTo).sendMessages({
      body: checked.data,
      contentType: 'application/json',
      messageId,
      correlationId: reply.correlationId,
      subject: reply.kind,
      timeToLive: this.options.timeToLiveMs ?? DEFAULT_REPLY_TTL_MS,
    });
    this.options.logger.info('reply sent', { queue: replyTo, messageId, inReplyTo: reply.inReplyTo, kind: reply.kind, commandType: reply.commandType });
  }

  async close(): Promise<void> {
    const senders = [...this.senders.values()];
    this.senders.clear();
    await Promise.allSettled(senders.map((s) => s.close()));
  }

  private senderFor(queue: string): ServiceBusSender {
    let sender = this.senders.get(queue);
    if (!sender) {
      sender = this.client.createSender(queue);
      this.senders.set(queue, sender);
    }
    return sender;
  }
}
