import type { AgentReply } from '../shared/contracts/agentCommands';

/** What the transport knows about a received message, besides its body. */
export interface ReceivedMeta {
  readonly messageId?: string;
  readonly deliveryCount: number;
  readonly enqueuedAt?: Date;
  /** Size of the body as received, in bytes. */
  readonly bodyBytes: number;
}

/**
 * done: the message was handled (replies, if any, were sent through `reply`); settle it.
 * poison: the message can never be handled (malformed, unknown, oversized); dead-letter it with
 * this reason and description (a failed reply is sent first when the message was readable
 * enough to address one).
 */
export type ProcessOutcome = { readonly kind: 'done' } | { readonly kind: 'poison'; readonly reason: string; readonly description: string };

/**
 * The seam between the agent's transport (Service Bus receiver) and its command handling.
 * `reply` sends one reply to the command's replyTo queue; it resolves once the reply is sent.
 */
export interface CommandProcessor {
  handle(body: unknown, meta: ReceivedMeta, reply: (r: AgentReply, replyTo: string) => Promise<void>): Promise<ProcessOutcome>;
}
