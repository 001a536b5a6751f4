import type { CommandEnvelope } from '../contracts/agentCommands';

/**
 * Carries commands to the agent on one host. `send` validates the envelope before anything
 * leaves, and resolves once the broker accepted the message; sending the same envelope again
 * is harmless (the queue drops a repeated messageId, the agent's ledger a repeated command).
 * Envelopes can hold secrets (a restore's SAS URL): implementations never log or echo bodies.
 */
export interface CommandChannel {
  send(envelope: CommandEnvelope): Promise<void>;
  close(): Promise<void>;
}
