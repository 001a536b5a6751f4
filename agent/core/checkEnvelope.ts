import { COMMAND_TYPES, commandEnvelopeSchema, MAX_MESSAGE_BYTES, type CommandEnvelope } from '../../shared/contracts/agentCommands';

/** Where a failed reply can go, read from a message that is otherwise unusable. */
export interface ReplyAddress {
  readonly replyTo: string;
  readonly messageId: string;
  readonly correlationId: string;
  readonly commandType: string;
}

export type PoisonCode = 'TOO_LARGE' | 'MALFORMED' | 'UNKNOWN_COMMAND';

export type EnvelopeCheck =
  | { readonly ok: true; readonly envelope: CommandEnvelope }
  | { readonly ok: false; readonly code: PoisonCode; readonly description: string; readonly address?: ReplyAddress };

/** Beyond this, a body is not even parsed to find a reply address. */
const MAX_PARSE_BYTES = 1024 * 1024;
const MAX_DESCRIPTION = 1_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The first gate: size, then JSON, then the contract's shape. A message that fails here can
 * never succeed on redelivery (poison). Descriptions name fields and rules, never values, so a
 * malformed restore command cannot carry its SAS URL into a dead-letter record or a reply.
 */
export function checkEnvelope(body: unknown, bodyBytes: number): EnvelopeCheck {
  const raw = typeof body === 'string' ? body : Buffer.isBuffer(body) || body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : undefined;
  const size = Math.max(bodyBytes, raw !== undefined ? Buffer.byteLength(raw) : 0);

  let value: unknown = body;
  let jsonProblem: string | undefined;
  if (raw !== undefined && size <= MAX_PARSE_BYTES) {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      // JSON.parse messages quote the input; keep only the position.
      const at = /position \d+/.exec((error as Error).message)?.[0];
      jsonProblem = `the body is not JSON${at ? ` (at ${at})` : ''}`;
      value = undefined;
    }
  } else if (raw !== undefined) {
    value = undefined;
  }
  const address = addressOf(value);

  if (size > MAX_MESSAGE_BYTES) {
    return poison('TOO_LARGE', `the body is ${size} bytes; the limit is ${MAX_MESSAGE_BYTES}`, address);
  }
  if (jsonProblem !== undefined) return poison('MALFORMED', jsonProblem, address);

  const commandType = commandTypeOf(value);
  if (commandType !== undefined && !(COMMAND_TYPES as readonly string[]).includes(commandType)) {
    return poison('UNKNOWN_COMMAND', `unknown command type "${commandType}"; this agent knows ${COMMAND_TYPES.join(', ')}`, address);
  }
  const parsed = commandEnvelopeSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
    return poison('MALFORMED', `not a command envelope: ${issues.join('; ')}`, address);
  }
  return { ok: true, envelope: parsed.data };
}

function poison(code: PoisonCode, description: string, address: ReplyAddress | undefined): EnvelopeCheck {
  const bounded = description.length > MAX_DESCRIPTION ? `${description.slice(0, MAX_DESCRIPTION - 1)}…` : description;
  return { ok: false, code, description: bounded, ...(address !== undefined ? { address } : {}) };
}

/** A reply needs a queue, the command's messageId and its correlationId, all well-formed. */
function addressOf(value: unknown): ReplyAddress | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { replyTo, messageId, correlationId } = value as Record<string, unknown>;
  if (typeof replyTo !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,259}$/.test(replyTo)) return undefined;
  if (typeof messageId !== 'string' || !UUID.test(messageId)) return undefined;
  if (typeof correlationId !== 'string' || correlationId.length < 1 || correlationId.length > 128) return undefined;
  return { replyTo, messageId, correlationId, commandType: commandTypeOf(value) ?? 'unknown' };
}

/** The command's type when it is a plausible name; anything else is not repeated anywhere. */
function commandTypeOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const command = (value as Record<string, unknown>)['command'];
  if (command === null || typeof command !== 'object') return undefined;
  const type = (command as Record<string, unknown>)['type'];
  return typeof type === 'string' && /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(type) ? type : undefined;
}
