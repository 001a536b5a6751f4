import { app, type InvocationContext } from '@azure/functions';
import { agentHeartbeatSchema, inboxMessageSchema, replySchema, REPLY_KINDS, type InboxMessage } from '../shared/contracts/agentCommands';
import { appServices } from '../shared/composition/appServices';
import { invocationLogger } from '../shared/composition/logging';
import { recordInboxMessage } from '../shared/services/agentLiveness';

/**
 * Records what the agents send to the watchdog's inbox: heartbeats and replies to commands.
 *
 * A message that does not follow the contract is logged as an error and dropped (the trigger
 * completes it) instead of thrown: no retry can make it valid, and throwing would only run it
 * maxDeliveryCount more times (failed invocations and log lines each time) before the runtime
 * dead-letters it with the uninformative reason MaxDeliveryCountExceeded. The log line names the
 * message id and every problem, so the sender can be found. Anything else that fails (a state
 * write) throws, so the runtime abandons the message and it is retried.
 */
export async function agentInbox(message: unknown, context: InvocationContext): Promise<void> {
  const meta = triggerMeta(context);
  const logger = invocationLogger(context, { function: 'agentInbox', invocationId: context.invocationId, ...meta });
  const parsed = parseInboxMessage(message);
  if (!parsed.ok) {
    logger.error('malformed inbox message dropped', { problems: parsed.problems });
    return;
  }
  await recordInboxMessage(appServices().inboxDeps(logger), parsed.message, meta.messageId ? { messageId: meta.messageId } : {});
}

type Parsed = { readonly ok: true; readonly message: InboxMessage } | { readonly ok: false; readonly problems: readonly string[] };

export function parseInboxMessage(message: unknown): Parsed {
  const body = decodeBody(message);
  if (body === undefined) return { ok: false, problems: ['the body is not JSON'] };
  const result = inboxMessageSchema.safeParse(body);
  if (result.success) return { ok: true, message: result.data };
  return { ok: false, problems: explain(body) };
}

/** The host hands a JSON body over parsed; other bodies arrive as text or bytes. */
function decodeBody(message: unknown): unknown {
  if (typeof message === 'string' || message instanceof Uint8Array) {
    try {
      return JSON.parse(typeof message === 'string' ? message : Buffer.from(message).toString('utf8'));
    } catch {
      return undefined;
    }
  }
  return message;
}

/** A union only says "invalid input": name the problems against the schema the `kind` asks for. */
function explain(body: unknown): string[] {
  const kind = typeof body === 'object' && body !== null ? (body as { kind?: unknown }).kind : undefined;
  const schema = kind === 'agentHeartbeat' ? agentHeartbeatSchema : REPLY_KINDS.includes(kind as never) ? replySchema : undefined;
  if (!schema) return [`kind: must be "agentHeartbeat" or one of ${REPLY_KINDS.join(', ')}`];
  const issues = schema.safeParse(body).error?.issues ?? [];
  // Zod's messages name the expectation, not the value; at most ten keep the line short.
  return issues.slice(0, 10).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}

function triggerMeta(context: InvocationContext): { messageId?: string; deliveryCount?: number; enqueuedTimeUtc?: string } {
  const m = context.triggerMetadata ?? {};
  return {
    ...(typeof m.messageId === 'string' ? { messageId: m.messageId } : {}),
    ...(typeof m.deliveryCount === 'number' ? { deliveryCount: m.deliveryCount } : {}),
    ...(typeof m.enqueuedTimeUtc === 'string' ? { enqueuedTimeUtc: m.enqueuedTimeUtc } : {}),
  };
}

app.serviceBusQueue('agentInbox', { connection: 'ServiceBusConnection', queueName: '%WATCHDOG_INBOX_QUEUE%', handler: agentInbox });
