import { COMMAND_CONTRACT_VERSION, commandEnvelopeSchema, type AgentCommand, type CommandEnvelope } from '../contracts/agentCommands';
import { WatchdogError } from '../domain/errors';

export interface CommandAddress {
  readonly messageId: string;
  readonly pairId: string;
  readonly targetHost: string;
  readonly epoch: number;
  readonly issuedAt: string;
  readonly notAfter: string;
  readonly replyTo: string;
  readonly correlationId: string;
}

/**
 * A command envelope as the agents read it (contract 1), checked against the contract before
 * anything leaves. The problems name paths and expectations only: a restore's command holds its
 * SAS URL, and no value of the envelope may reach an error, a log or the durable history.
 */
export function buildCommandEnvelope(address: CommandAddress, command: AgentCommand): CommandEnvelope {
  const parsed = commandEnvelopeSchema.safeParse({ contract: COMMAND_CONTRACT_VERSION, ...address, command });
  if (parsed.success) {
    if (Date.parse(parsed.data.notAfter) <= Date.parse(parsed.data.issuedAt)) {
      throw new WatchdogError('COMMAND_INVALID', `Command ${address.messageId} expires before it is issued (notAfter must follow issuedAt)`, safeMeta(address, command));
    }
    return parsed.data;
  }
  const problems = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(envelope)'}: ${i.message}`);
  throw new WatchdogError('COMMAND_INVALID', `Refused to build an invalid command envelope: ${problems.join('; ')}`, safeMeta(address, command));
}

/**
 * The name an agent knows its host by: the computer name, without a DNS suffix (the agent names
 * its queue and checks targetHost with it), though the pair's configuration may give a full name.
 */
export function agentHostName(hostName: string): string {
  return hostName.trim().split('.')[0]!;
}

function safeMeta(address: CommandAddress, command: AgentCommand): Record<string, string | number> {
  const text = (v: unknown): string => (typeof v === 'string' ? v.slice(0, 128) : '');
  return {
    messageId: text(address.messageId),
    pairId: text(address.pairId),
    targetHost: text(address.targetHost),
    correlationId: text(address.correlationId),
    commandType: text((command as { type?: unknown }).type),
  };
}
