import { uuid_to_string, type AmqpError, type Message } from 'rhea';
import { LOCK_LOST, type Entity, type Settlement } from './entity';
import { annotationsOf, decodeMessage, encodeForClient } from './storedMessage';

type Body = Record<string, unknown>;

/** CBS accepts any token: the broker checks wiring, not credentials. */
export function answerCbsRequest(request: Message): Message {
  const operation = (request.application_properties as Body | undefined)?.operation;
  const ok = operation === 'put-token';
  return {
    correlation_id: request.message_id,
    to: request.reply_to,
    application_properties: {
      'status-code': ok ? 202 : 400,
      'status-description': ok ? 'Accepted' : `Unsupported CBS operation '${String(operation)}'`,
    },
    body: undefined,
  };
}

function reply(request: Message, statusCode: number, body?: Body, error?: AmqpError): Message {
  const properties: Body = { statusCode, statusDescription: error?.description ?? 'OK' };
  if (error?.condition) properties.errorCondition = error.condition;
  return { correlation_id: request.message_id, to: request.reply_to, application_properties: properties, body };
}

function asNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigInt64BE(0));
  throw new Error(`Expected a long, got ${String(value)}`);
}

function lockTokensOf(body: Body): string[] {
  return (body['lock-tokens'] as Buffer[]).map((bytes) => uuid_to_string(bytes));
}

const dispositions: Record<string, Settlement['kind'] | undefined> = {
  completed: 'complete',
  abandoned: 'abandon',
  suspended: 'deadLetter',
};

function settlementFrom(body: Body): Settlement | undefined {
  const kind = dispositions[String(body['disposition-status'])];
  const properties = (body['properties-to-modify'] as Body | undefined) ?? undefined;
  if (kind === 'deadLetter') {
    return {
      kind,
      reason: body['deadletter-reason'] as string | undefined,
      description: body['deadletter-description'] as string | undefined,
      properties,
    };
  }
  if (kind === 'abandon') return properties ? { kind, properties } : { kind };
  return kind ? { kind } : undefined;
}

function renewLocks(entity: Entity, request: Message, body: Body): Message {
  const expirations: Date[] = [];
  for (const token of lockTokensOf(body)) {
    const until = entity.renewLock(token);
    if (!until) return reply(request, 410, undefined, LOCK_LOST);
    expirations.push(until);
  }
  return reply(request, 200, { expirations });
}

function peek(entity: Entity, request: Message, body: Body): Message {
  const found = entity.peek(asNumber(body['from-sequence-number']), asNumber(body['message-count']));
  if (found.length === 0) return reply(request, 204);
  return reply(request, 200, { messages: found.map((stored) => ({ message: encodeForClient(stored) })) });
}

function schedule(entity: Entity, request: Message, body: Body): Message {
  const sequenceNumbers = (body.messages as Body[]).map((entry) => {
    const message = decodeMessage(entry.message as Buffer);
    const at = annotationsOf(message)['x-opt-scheduled-enqueue-time'];
    return entity.schedule(message, at instanceof Date ? at : new Date());
  });
  return reply(request, 200, { 'sequence-numbers': sequenceNumbers });
}

function cancelScheduled(entity: Entity, request: Message, body: Body): Message {
  for (const value of body['sequence-numbers'] as unknown[]) {
    const sequenceNumber = asNumber(value);
    if (!entity.cancelScheduled(sequenceNumber)) {
      return reply(request, 404, undefined, {
        condition: 'com.microsoft:message-not-found',
        description: `The scheduled message with sequence number ${sequenceNumber} could not be found.`,
      });
    }
  }
  return reply(request, 200);
}

function updateDisposition(entity: Entity, request: Message, body: Body): Message {
  const settlement = settlementFrom(body);
  if (!settlement) {
    return reply(request, 400, undefined, {
      condition: 'amqp:not-implemented',
      description: `The test broker does not support disposition '${String(body['disposition-status'])}'.`,
    });
  }
  for (const token of lockTokensOf(body)) {
    const error = entity.settle(token, settlement);
    if (error) return reply(request, error === LOCK_LOST ? 410 : 400, undefined, error);
  }
  return reply(request, 200);
}

const operations: Record<string, ((entity: Entity, request: Message, body: Body) => Message) | undefined> = {
  'com.microsoft:renew-lock': renewLocks,
  'com.microsoft:peek-message': peek,
  'com.microsoft:schedule-message': schedule,
  'com.microsoft:cancel-scheduled-message': cancelScheduled,
  'com.microsoft:update-disposition': updateDisposition,
};

/** Answers a request on `<entity>/$management`; Service Bus replies there use `statusCode`. */
export function answerManagementRequest(entity: Entity, request: Message): Message {
  const operation = String((request.application_properties as Body | undefined)?.operation);
  const handler = operations[operation];
  if (!handler) {
    return reply(request, 501, undefined, {
      condition: 'amqp:not-implemented',
      description: `The test broker does not implement '${operation}'.`,
    });
  }
  try {
    return handler(entity, request, (request.body as Body | undefined) ?? {});
  } catch (error) {
    return reply(request, 500, undefined, { condition: 'amqp:internal-error', description: String(error) });
  }
}
