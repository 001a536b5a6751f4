import { app, type InvocationContext } from '@azure/functions';
import { agentHeartbeatSchema, inboxMessageSchema, replySchema, REPLY_KINDS, type AgentReply, type InboxMessage } from '../shared/contracts/agentCommands';
import { pairIdOfInstance, routeReply } from '../shared/contracts/failoverContract';
import { appServices } from '../shared/composition/appServices';
import { invocationLogger } from '../shared/composition/logging';
import { durableClientInput, orchestrationClientFor } from '../shared/composition/orchestrationClient';
import type { Logger } from '../shared/ports/logger.port';
import { recordInboxMessage, type InboxMeta } from '../shared/services/agentLiveness';
import { keepRejectedMessage, type InboxRejectionReason, type InboxTriggerMeta } from '../shared/services/inboxRejections';
import { respondToPrimaryStop } from '../shared/services/primaryStopTrigger';

/**
 * Records what the agents send to the watchdog's inbox: heartbeats and replies to commands.
 *
 * A message the watchdog cannot use (not JSON, not following the contract, or from a pair or
 * host it does not know) is kept as a rejection record in the state container (see
 * shared/services/inboxRejections.ts: the reason, every problem, the trigger metadata and the
 * body), logged as one error line naming the record, and completed. A Node trigger cannot
 * dead-letter a message with a reason itself (that takes the preview SDK-type binding, which only
 * the Functions host serves), and throwing would only run it maxDeliveryCount more times (failed
 * invocations and log lines each time) before the runtime dead-letters it with the uninformative
 * reason MaxDeliveryCountExceeded: the record is its dead-letter entry. When the record cannot be
 * written the invocation throws, so the message is retried and nothing is lost; a redelivery
 * finds the record and completes. Anything else that fails (a state write) throws likewise.
 *
 * Heartbeats carry the broker's enqueue time into the liveness record: it orders them across
 * agent restarts, when the host's clock may have been set back.
 *
 * A heartbeat in which the Primary's agent first reports its service stopped on its own is acted
 * on at once, as the heartbeat monitor would on its next pass (restart in place, or failover once
 * the restarts are used up): the agent's heartbeat is the fast signal, the timer the fallback.
 *
 * A reply to a command a failover orchestration sent is also raised as an event on that
 * orchestration, after it is recorded. A redelivered reply is raised again: the first delivery
 * may have been recorded but not raised, and the orchestration ignores an answer it already has.
 */
export async function agentInbox(message: unknown, context: InvocationContext): Promise<void> {
  const meta = triggerMeta(context);
  const logger = invocationLogger(context, { function: 'agentInbox', invocationId: context.invocationId, ...meta });
  const services = appServices();
  const deps = services.inboxDeps(logger);
  const parsed = parseInboxMessage(message);
  if (!parsed.ok) {
    await keepRejectedMessage(deps, { reason: parsed.reason, problems: parsed.problems, body: message, meta });
    return;
  }
  const inbox = parsed.message;
  const outcome = await recordInboxMessage(deps, inbox, inboxMeta(meta));
  if (outcome.kind === 'unknown-sender') {
    const sender = { pairId: inbox.pairId, host: inbox.host };
    await keepRejectedMessage(deps, { reason: 'UNKNOWN_SENDER', problems: [`${outcome.reason} (pair ${sender.pairId}, host ${sender.host})`], body: message, meta, sender });
    return;
  }
  if (outcome.kind === 'heartbeat-recorded' && outcome.primaryStopped) {
    await respondToPrimaryStop({ ...services.monitorDeps(logger), heartbeats: services.heartbeats, orchestrations: () => orchestrationClientFor(context) }, inbox.pairId);
  }
  if (inbox.kind !== 'agentHeartbeat') await routeToOrchestration(inbox, context, logger);
}

/** Raises a reply on the orchestration that is waiting for it; throws (the message is retried) when the raise fails. */
async function routeToOrchestration(reply: AgentReply, context: InvocationContext, logger: Logger): Promise<void> {
  const route = routeReply(reply.correlationId);
  if (!route) return;
  if (pairIdOfInstance(route.instanceId) !== reply.pairId) {
    // A reply never crosses pairs: raising it would feed one pair's answer to another pair's failover.
    logger.warn('reply names another pair than its failover: not raised', { pair: reply.pairId, instanceId: route.instanceId });
    return;
  }
  const raised = await orchestrationClientFor(context).raiseEvent(route.instanceId, route.eventName, reply);
  if (raised) logger.info('reply raised on its failover', { instanceId: route.instanceId, event: route.eventName, kind: reply.kind });
  else logger.info('reply for a failover that has finished or is unknown: recorded only', { instanceId: route.instanceId, event: route.eventName, kind: reply.kind });
}

type Parsed =
  | { readonly ok: true; readonly message: InboxMessage }
  | { readonly ok: false; readonly reason: Exclude<InboxRejectionReason, 'UNKNOWN_SENDER'>; readonly problems: readonly string[] };

export function parseInboxMessage(message: unknown): Parsed {
  const body = decodeBody(message);
  if (body === undefined) return { ok: false, reason: 'NOT_JSON', problems: ['the body is not JSON'] };
  const result = inboxMessageSchema.safeParse(body);
  if (result.success) return { ok: true, message: result.data };
  return { ok: false, reason: 'CONTRACT_VIOLATION', problems: explain(body) };
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

function triggerMeta(context: InvocationContext): InboxTriggerMeta {
  const m = context.triggerMetadata ?? {};
  return {
    ...(typeof m.messageId === 'string' ? { messageId: m.messageId } : {}),
    ...(typeof m.deliveryCount === 'number' ? { deliveryCount: m.deliveryCount } : {}),
    ...(typeof m.enqueuedTimeUtc === 'string' ? { enqueuedTimeUtc: m.enqueuedTimeUtc } : {}),
  };
}

/** An enqueue time the runtime wrote in a form that does not parse is treated as missing. */
function inboxMeta(meta: InboxTriggerMeta): InboxMeta {
  const enqueuedAt = meta.enqueuedTimeUtc === undefined ? undefined : new Date(meta.enqueuedTimeUtc);
  return {
    ...(meta.messageId ? { messageId: meta.messageId } : {}),
    ...(enqueuedAt && Number.isFinite(enqueuedAt.getTime()) ? { enqueuedAt } : {}),
  };
}

app.serviceBusQueue('agentInbox', {
  connection: 'ServiceBusConnection',
  queueName: '%WATCHDOG_INBOX_QUEUE%',
  extraInputs: [durableClientInput],
  handler: agentInbox,
});
