import type { TriggerMetadata } from '@azure/functions';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';

export interface TriggerInput {
  readonly body: unknown;
  readonly triggerMetadata: TriggerMetadata;
}

/**
 * What a Service Bus queue function receives from the host for one message. The body: the
 * host passes it on as text and the worker JSON-parses text when it can, so a JSON body
 * arrives as its value and anything else as a string (the receiver must be created with
 * skipParsingBodyAsJson, so the bytes arrive untouched). The metadata carries the host's
 * names: its DeliveryCount counts this delivery (1 the first time), whereas the AMQP header
 * the JavaScript SDK reports counts only earlier attempts (0 the first time).
 */
export function toTriggerInput(message: ServiceBusReceivedMessage): TriggerInput {
  return {
    body: decodeBody(message.body),
    triggerMetadata: {
      ...(message.messageId !== undefined ? { messageId: idText(message.messageId) } : {}),
      deliveryCount: (message.deliveryCount ?? 0) + 1,
      ...(message.enqueuedTimeUtc ? { enqueuedTimeUtc: message.enqueuedTimeUtc.toISOString() } : {}),
      ...(message.correlationId !== undefined ? { correlationId: idText(message.correlationId) } : {}),
      applicationProperties: { ...(message.applicationProperties ?? {}) },
      ...(message.contentType !== undefined ? { contentType: message.contentType } : {}),
      ...(message.subject !== undefined ? { subject: message.subject } : {}),
      ...(message.replyTo !== undefined ? { replyTo: message.replyTo } : {}),
      ...(message.sequenceNumber !== undefined ? { sequenceNumber: message.sequenceNumber.toNumber() } : {}),
      ...(message.lockToken !== undefined ? { lockToken: message.lockToken } : {}),
    },
  };
}

function decodeBody(body: unknown): unknown {
  if (Buffer.isBuffer(body)) return parseIfJson(body.toString('utf8'));
  if (body instanceof Uint8Array) return parseIfJson(Buffer.from(body).toString('utf8'));
  if (typeof body === 'string') return parseIfJson(body);
  // An AMQP value or sequence section: already a value, as JSON text would have parsed to.
  return body;
}

function parseIfJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function idText(id: string | number | Buffer): string {
  return Buffer.isBuffer(id) ? id.toString('hex') : String(id);
}
