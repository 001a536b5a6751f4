import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { InboxDeps } from './agentLiveness';
import { keySegment } from './keySegment';
import { stateKeys } from './stateKeys';

/**
 * Inbox messages the watchdog cannot use, kept as records in the state container so that people
 * can find and fix the sender. The inbox trigger cannot dead-letter a message with a reason (see
 * functions/agentInbox.ts): this record is its dead-letter queue.
 */
export type InboxRejectionReason =
  /** The body is not JSON. */
  | 'NOT_JSON'
  /** JSON, but not a heartbeat or a reply as shared/contracts/agentCommands.ts defines them. */
  | 'CONTRACT_VIOLATION'
  /** A valid message from a pair or host this watchdog is not configured for: a mis-configured agent. */
  | 'UNKNOWN_SENDER';

/** The trigger's metadata of the message, as the runtime gave it. */
export interface InboxTriggerMeta {
  readonly messageId?: string;
  readonly deliveryCount?: number;
  readonly enqueuedTimeUtc?: string;
}

export interface KeptBody {
  /**
   * `utf8`: the body as text. `base64`: bytes that are not valid UTF-8. `json`: the runtime handed
   * the body over already parsed, so this is its JSON serialization (spacing and number formats
   * may differ from the bytes sent).
   */
  readonly encoding: 'utf8' | 'base64' | 'json';
  readonly content: string;
  /** Bytes in the whole body (for `json`, in its serialization). */
  readonly length: number;
  /** The content holds only the first MAX_KEPT_BODY_BYTES bytes (cut at a character boundary for text). */
  readonly truncated: boolean;
}

export interface InboxRejection {
  readonly version: 1;
  readonly reason: InboxRejectionReason;
  readonly problems: readonly string[];
  /** The watchdog's clock when the (first kept) delivery arrived. */
  readonly receivedAt: string;
  readonly message: InboxTriggerMeta;
  /** Who the message says it is from, for UNKNOWN_SENDER. */
  readonly sender?: { readonly pairId: string; readonly host: string };
  readonly body: KeptBody;
}

export interface RejectedMessage {
  readonly reason: InboxRejectionReason;
  readonly problems: readonly string[];
  /** The body as the trigger handed it over: a parsed JSON value, text or bytes. */
  readonly body: unknown;
  readonly meta: InboxTriggerMeta;
  readonly sender?: { readonly pairId: string; readonly host: string };
}

/** Enough to see what was sent; the largest Service Bus message (100 MB on Premium) would bloat the state container. */
export const MAX_KEPT_BODY_BYTES = 64 * 1024;

/**
 * Writes the rejection record (create-only: a redelivery finds the record of its first delivery and
 * leaves it) and logs one error line naming it. Throws when the record cannot be written, so the
 * caller can have the message retried instead of losing it.
 */
export async function keepRejectedMessage(deps: Pick<InboxDeps, 'state' | 'clock' | 'logger'>, rejected: RejectedMessage): Promise<string> {
  const receivedAt = deps.clock();
  const { bytes, encoding } = bodyBytes(rejected.body);
  const key = stateKeys.inboxRejection(dayOf(rejected.meta.enqueuedTimeUtc) ?? receivedAt.toISOString().slice(0, 10), recordId(rejected, bytes));
  const record: InboxRejection = {
    version: 1,
    reason: rejected.reason,
    problems: rejected.problems,
    receivedAt: receivedAt.toISOString(),
    message: rejected.meta,
    ...(rejected.sender ? { sender: rejected.sender } : {}),
    body: keptBody(bytes, encoding),
  };
  const written = await deps.state.write(key, record, { absent: true });
  // The body stays out of the log: it may hold anything, and the record has it.
  deps.logger.error('inbox message rejected and kept', { key, reason: rejected.reason, problems: rejected.problems, ...(written.ok ? {} : { alreadyKept: true }) });
  return key;
}

/**
 * One record per message, named by its id (stable across redeliveries), or by a hash of the body
 * when it has none. An unknown sender gets one record a day instead: a mis-configured agent beats
 * every few seconds, and its first message of the day is enough to find it.
 */
function recordId(rejected: RejectedMessage, bytes: Buffer): string {
  if (rejected.sender) return `unknown-sender/${keySegment(rejected.sender.pairId)}/${keySegment(rejected.sender.host.toLowerCase())}`;
  if (rejected.meta.messageId) return keySegment(rejected.meta.messageId);
  return `sha256-${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The enqueue time's day: unlike the receive time, a redelivery after midnight keeps it. */
function dayOf(enqueuedTimeUtc: string | undefined): string | undefined {
  const time = enqueuedTimeUtc === undefined ? Number.NaN : Date.parse(enqueuedTimeUtc);
  return Number.isFinite(time) ? new Date(time).toISOString().slice(0, 10) : undefined;
}

function bodyBytes(body: unknown): { bytes: Buffer; encoding: KeptBody['encoding'] } {
  if (typeof body === 'string') return { bytes: Buffer.from(body, 'utf8'), encoding: 'utf8' };
  if (body instanceof Uint8Array) {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return { bytes, encoding: isUtf8(bytes) ? 'utf8' : 'base64' };
  }
  return { bytes: Buffer.from(jsonText(body), 'utf8'), encoding: 'json' };
}

function jsonText(value: unknown): string {
  try {
    // undefined (no body at all) has no JSON form.
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function keptBody(bytes: Buffer, encoding: KeptBody['encoding']): KeptBody {
  const truncated = bytes.length > MAX_KEPT_BODY_BYTES;
  if (encoding === 'base64') return { encoding, content: bytes.subarray(0, MAX_KEPT_BODY_BYTES).toString('base64'), length: bytes.length, truncated };
  let end = Math.min(bytes.length, MAX_KEPT_BODY_BYTES);
  // Back off to the start of a character: a cut inside one would end the text in U+FFFD.
  while (end < bytes.length && end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return { encoding, content: bytes.subarray(0, end).toString('utf8'), length: bytes.length, truncated };
}
