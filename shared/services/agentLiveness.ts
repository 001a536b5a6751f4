import type { AgentHeartbeat, AgentReply, InboxMessage } from '../contracts/agentCommands';
import { applyHeartbeat, type AgentLivenessRecord } from '../domain/agentLiveness';
import { sameHost, type PairDefinition } from '../domain/pair';
import type { Logger } from '../ports/logger.port';
import type { StateStore } from '../ports/stateStore.port';
import { keySegment } from './keySegment';
import { updateRecord } from './updateRecord';

/**
 * Records what arrives in the watchdog's inbox: agent heartbeats (one record per host, the
 * newest wins) and replies to commands (a bounded list per correlation id, where the failover
 * orchestration will look for them).
 */
export interface InboxDeps {
  readonly pairs: readonly PairDefinition[];
  readonly state: StateStore;
  /** The watchdog's clock: the receive time of a heartbeat. */
  readonly clock: () => Date;
  readonly logger: Logger;
}

/** What the transport knows of the message besides its body. */
export interface InboxMeta {
  readonly messageId?: string;
  /** When Service Bus enqueued the message (the broker's clock): orders heartbeats across agent restarts. */
  readonly enqueuedAt?: Date;
}

export type InboxOutcome =
  /**
   * `primaryStopped`: this heartbeat, from the pair's Primary, is the first to report its service
   * stopped on its own (no stop ordered, not fenced): the fast signal the failover trigger acts on.
   */
  | { readonly kind: 'heartbeat-recorded'; readonly primaryStopped?: true }
  | { readonly kind: 'reply-recorded' }
  /** Older than the record (out of order, or a redelivery): the newer state stands. */
  | { readonly kind: 'heartbeat-outdated' }
  /** The same reply message delivered again. */
  | { readonly kind: 'reply-duplicate' }
  /** From a pair or host this watchdog does not know: nothing of the pair's is written (the inbox trigger keeps the message as a rejection). */
  | { readonly kind: 'unknown-sender'; readonly reason: string };

export interface StoredReply {
  readonly receivedAt: string;
  readonly messageId?: string;
  readonly reply: AgentReply;
}

export interface ReplyLog {
  readonly version: 1;
  readonly pairId: string;
  readonly correlationId: string;
  /** Oldest first; at most MAX_STORED_REPLIES. */
  readonly replies: readonly StoredReply[];
  /** Replies left out to keep the record small (progress replies go first). */
  readonly dropped: number;
}

/** A restore can send many progress replies; the outcome replies must never be pushed out by them. */
export const MAX_STORED_REPLIES = 50;

export const agentStateKeys = {
  /** Host names compare case-insensitively, so the key uses the lower-case name. */
  agent: (pairId: string, host: string): string => `pairs/${pairId}/agents/${host.toLowerCase()}`,
  replies: (pairId: string, correlationId: string): string => `pairs/${pairId}/replies/${keySegment(correlationId)}`,
} as const;

export function recordInboxMessage(deps: InboxDeps, message: InboxMessage, meta: InboxMeta = {}): Promise<InboxOutcome> {
  return message.kind === 'agentHeartbeat' ? recordAgentHeartbeat(deps, message, meta) : recordAgentReply(deps, message, meta);
}

export async function recordAgentHeartbeat(deps: InboxDeps, heartbeat: AgentHeartbeat, meta: InboxMeta = {}): Promise<InboxOutcome> {
  const sender = knownSender(deps, heartbeat.pairId, heartbeat.host);
  if (typeof sender === 'string') return unknownSender(deps, 'agent heartbeat', heartbeat.pairId, heartbeat.host, sender);
  const receivedAt = deps.clock();
  let outdated = false;
  let previous: AgentLivenessRecord | undefined;
  await updateRecord<AgentLivenessRecord>(deps.state, agentStateKeys.agent(heartbeat.pairId, sender.host), (current) => {
    const next = applyHeartbeat(current, heartbeat, sender.host, receivedAt, meta.enqueuedAt);
    outdated = next === undefined;
    previous = current;
    return next;
  });
  if (outdated) return { kind: 'heartbeat-outdated' };
  // Heartbeats come every few seconds: only what changed is worth a log line.
  const changes = describeChanges(previous, heartbeat);
  if (changes.length > 0) deps.logger.info('agent state changed', { pair: heartbeat.pairId, host: sender.host, changes });
  const primary = sameHost(sender.host, sender.pair.primary.hostName);
  return primary && stoppedOnItsOwn(heartbeat) && !(previous && stoppedOnItsOwn(previous)) ? { kind: 'heartbeat-recorded', primaryStopped: true } : { kind: 'heartbeat-recorded' };
}

/** The same test as the policy's stoppedOnItsOwn, on what the agent reported (aliveness aside: it just spoke). */
function stoppedOnItsOwn(report: Pick<AgentHeartbeat, 'service' | 'fenced'>): boolean {
  return report.service.state === 'stopped' && !report.service.stopOrdered && !report.fenced;
}

export async function recordAgentReply(deps: InboxDeps, reply: AgentReply, meta: InboxMeta = {}): Promise<InboxOutcome> {
  const sender = knownSender(deps, reply.pairId, reply.host);
  if (typeof sender === 'string') return unknownSender(deps, 'reply', reply.pairId, reply.host, sender);
  const stored: StoredReply = { receivedAt: deps.clock().toISOString(), ...(meta.messageId ? { messageId: meta.messageId } : {}), reply };
  let duplicate = false;
  await updateRecord<ReplyLog>(deps.state, agentStateKeys.replies(reply.pairId, reply.correlationId), (current) => {
    const next = appendReply(current, stored);
    duplicate = next === undefined;
    return next;
  });
  deps.logger.info('agent reply recorded', {
    pair: reply.pairId,
    host: sender.host,
    kind: reply.kind,
    commandType: reply.commandType,
    inReplyTo: reply.inReplyTo,
    ...(reply.error ? { errorCode: reply.error.code } : {}),
    duplicate,
  });
  return { kind: duplicate ? 'reply-duplicate' : 'reply-recorded' };
}

export async function readAgentLiveness(state: StateStore, pairId: string, host: string): Promise<AgentLivenessRecord | undefined> {
  return (await state.read<AgentLivenessRecord>(agentStateKeys.agent(pairId, host)))?.value;
}

export async function readReplies(state: StateStore, pairId: string, correlationId: string): Promise<readonly StoredReply[]> {
  return (await state.read<ReplyLog>(agentStateKeys.replies(pairId, correlationId)))?.value.replies ?? [];
}

/** The log with `stored` appended; undefined when that message is already in it (a redelivery). */
export function appendReply(current: ReplyLog | undefined, stored: StoredReply): ReplyLog | undefined {
  const replies = current?.replies ?? [];
  if (replies.some((r) => sameReply(r, stored))) return undefined;
  const all = [...replies, stored];
  let dropped = current?.dropped ?? 0;
  while (all.length > MAX_STORED_REPLIES) {
    const progress = all.findIndex((r) => r.reply.kind === 'progress');
    all.splice(progress >= 0 ? progress : 0, 1);
    dropped++;
  }
  return { version: 1, pairId: stored.reply.pairId, correlationId: stored.reply.correlationId, replies: all, dropped };
}

function sameReply(a: StoredReply, b: StoredReply): boolean {
  if (a.messageId !== undefined && b.messageId !== undefined) return a.messageId === b.messageId;
  return a.reply.inReplyTo === b.reply.inReplyTo && a.reply.kind === b.reply.kind && a.reply.at === b.reply.at;
}

function describeChanges(previous: AgentLivenessRecord | undefined, heartbeat: AgentHeartbeat): string[] {
  if (previous === undefined) return [`first heartbeat (service ${heartbeat.service.state})`];
  const changes: string[] = [];
  if (previous.bootId !== heartbeat.bootId) changes.push('agent restarted');
  if (previous.service.state !== heartbeat.service.state) changes.push(`service ${previous.service.state} -> ${heartbeat.service.state}`);
  if (previous.service.stopOrdered !== heartbeat.service.stopOrdered) changes.push(`stopOrdered ${heartbeat.service.stopOrdered}`);
  if (previous.fenced !== heartbeat.fenced) changes.push(heartbeat.fenced ? 'fenced' : 'no longer fenced');
  if (previous.epochSeen !== heartbeat.epochSeen) changes.push(`epoch ${previous.epochSeen} -> ${heartbeat.epochSeen}`);
  return changes;
}

/** The pair and the configured spelling of the host, or why the sender is not one of ours. */
function knownSender(deps: InboxDeps, pairId: string, host: string): { pair: PairDefinition; host: string } | string {
  const pair = deps.pairs.find((p) => p.id === pairId);
  if (!pair) return 'unknown pair';
  const side = [pair.primary, pair.secondary].find((s) => sameHost(s.hostName, host));
  return side ? { pair, host: side.hostName } : 'host is not in the pair';
}

function unknownSender(deps: InboxDeps, what: string, pairId: string, host: string, reason: string): InboxOutcome {
  // Retrying cannot help, and a stranger must never write a pair's records: the caller decides whether to keep the message.
  deps.logger.warn(`${what} from an unknown sender ignored`, { pair: pairId, host, reason });
  return { kind: 'unknown-sender', reason };
}
