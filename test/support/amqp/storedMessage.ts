import { generate_uuid, message as amqpMessage, types, type Message } from 'rhea';

/** Message format of a Service Bus batch: one transfer whose data sections are encoded messages. */
export const BATCH_MESSAGE_FORMAT = 0x80013700;

const DATA_SECTION = 0x75;

export type MessageState = 'available' | 'locked' | 'scheduled';

export interface StoredMessage {
  readonly sequenceNumber: number;
  /** When the message became active (for a scheduled message: when its time came). */
  enqueuedAt: Date;
  /** The message as the client sent it, plus what the broker added (dead-letter reason). */
  message: Message;
  /** Prior failed deliveries, as the AMQP header's delivery-count counts them. */
  deliveryCount: number;
  state: MessageState;
  scheduledFor?: Date;
}

/** What tests and the lab see of a stored message, in the SDK's vocabulary. */
export interface BrokeredMessageView {
  sequenceNumber: number;
  state: MessageState;
  messageId?: unknown;
  correlationId?: unknown;
  subject?: string;
  replyTo?: string;
  contentType?: string;
  timeToLiveMs?: number;
  applicationProperties: Record<string, unknown>;
  body: unknown;
  deliveryCount: number;
  enqueuedTime: Date;
  scheduledEnqueueTime?: Date;
  deadLetterReason?: string;
  deadLetterErrorDescription?: string;
}

interface BodySection {
  typecode: number;
  content: unknown;
  multiple?: boolean;
}

function isBodySection(body: unknown): body is BodySection {
  return typeof body === 'object' && body !== null && 'typecode' in body && 'content' in body;
}

/** rhea's decode is typed with a looser Message than the one its events carry. */
export function decodeMessage(bytes: Buffer): Message {
  return amqpMessage.decode(bytes) as unknown as Message;
}

/** Splits one transfer into the messages it carries. */
export function unpackTransfer(payload: Message | Buffer, format: number | undefined): Message[] {
  if (!format) return [payload as Message];
  if (format !== BATCH_MESSAGE_FORMAT || !Buffer.isBuffer(payload)) {
    throw new Error(`Unsupported message format 0x${(format >>> 0).toString(16)}`);
  }
  const body: unknown = decodeMessage(payload).body;
  if (!isBodySection(body) || body.typecode !== DATA_SECTION) throw new Error('A batch must carry data sections');
  const parts = (body.multiple ? body.content : [body.content]) as Buffer[];
  return parts.map(decodeMessage);
}

/** Service Bus gives every message an id; the SDK's lock renewer keys its timers on it. */
export function ensureMessageId(message: Message): void {
  if (message.message_id === undefined || message.message_id === null) {
    message.message_id = generate_uuid().replace(/-/g, '');
  }
}

export function annotationsOf(message: Message): Record<string, unknown> {
  return message.message_annotations ?? {};
}

export function applicationPropertiesOf(message: Message): Record<string, unknown> {
  return (message.application_properties as Record<string, unknown> | undefined) ?? {};
}

/** A copy with extra application properties (dead-letter reason, properties-to-modify). */
export function withApplicationProperties(message: Message, extra: Record<string, unknown>): Message {
  const defined = Object.fromEntries(Object.entries(extra).filter(([, value]) => value !== undefined && value !== null));
  return { ...message, application_properties: { ...applicationPropertiesOf(message), ...defined } };
}

export function withAnnotations(message: Message, extra: Record<string, unknown>): Message {
  return { ...message, message_annotations: { ...annotationsOf(message), ...extra } };
}

/** Encodes a stored message the way Service Bus hands it to a receiver or a peek. */
export function encodeForClient(stored: StoredMessage, lockedUntil?: Date): Buffer {
  const annotations: Record<string, unknown> = {
    ...annotationsOf(stored.message),
    'x-opt-sequence-number': types.wrap_long(stored.sequenceNumber),
    'x-opt-enqueued-time': stored.enqueuedAt,
  };
  if (lockedUntil) annotations['x-opt-locked-until'] = lockedUntil;
  if (stored.state === 'scheduled') annotations['x-opt-message-state'] = 2;
  const { delivery_annotations: _dropped, ...rest } = stored.message;
  return amqpMessage.encode({ ...rest, delivery_count: stored.deliveryCount, message_annotations: annotations });
}

/** Decodes a body as the SDK's default data transformer would: JSON when it parses, else bytes. */
function bodyAsTheSdkSeesIt(body: unknown): unknown {
  if (!isBodySection(body) || body.typecode !== DATA_SECTION || body.multiple || !Buffer.isBuffer(body.content)) {
    return isBodySection(body) ? body.content : body;
  }
  try {
    return JSON.parse(body.content.toString('utf8'));
  } catch {
    return body.content;
  }
}

export function viewOf(stored: StoredMessage): BrokeredMessageView {
  const m = stored.message;
  const appProps = applicationPropertiesOf(m);
  const view: BrokeredMessageView = {
    sequenceNumber: stored.sequenceNumber,
    state: stored.state,
    messageId: m.message_id,
    correlationId: m.correlation_id,
    subject: m.subject,
    replyTo: m.reply_to,
    contentType: m.content_type,
    timeToLiveMs: m.ttl,
    applicationProperties: appProps,
    body: bodyAsTheSdkSeesIt(m.body),
    deliveryCount: stored.deliveryCount,
    enqueuedTime: stored.enqueuedAt,
  };
  if (stored.scheduledFor) view.scheduledEnqueueTime = stored.scheduledFor;
  if (typeof appProps.DeadLetterReason === 'string') view.deadLetterReason = appProps.DeadLetterReason;
  if (typeof appProps.DeadLetterErrorDescription === 'string') {
    view.deadLetterErrorDescription = appProps.DeadLetterErrorDescription;
  }
  return view;
}
