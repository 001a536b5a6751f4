import type { AgentCommand, AgentErrorCode, AgentReply, CommandEnvelope, CommandType } from '../../shared/contracts/agentCommands';
import type { Logger } from '../../shared/ports/logger.port';

export type Progress = NonNullable<AgentReply['progress']>;

export interface CommandContext {
  readonly envelope: CommandEnvelope;
  /** The fence verdict read for this command. */
  readonly fenced: boolean;
  /** Already redacting this command's secrets. */
  readonly log: Logger;
  /** Sends a progress reply; best effort (a lost progress reply does not fail the command). */
  readonly progress: (progress: Progress) => Promise<void>;
}

export type CommandResult = Readonly<Record<string, unknown>>;

/** Expected outcomes are values: a refusal or failure carries a stable code and a message fit for people. */
export type CommandOutcome =
  | { readonly ok: true; readonly result: CommandResult }
  | { readonly ok: false; readonly code: AgentErrorCode; readonly message: string; readonly result?: CommandResult };

export type CommandHandler<C extends AgentCommand> = (command: C, context: CommandContext) => Promise<CommandOutcome>;

export type CommandHandlers = { readonly [K in CommandType]: CommandHandler<Extract<AgentCommand, { type: K }>> };

export const failed = (code: AgentErrorCode, message: string, result?: CommandResult): CommandOutcome => ({
  ok: false,
  code,
  message,
  ...(result !== undefined ? { result } : {}),
});
export const succeeded = (result: CommandResult): CommandOutcome => ({ ok: true, result });
