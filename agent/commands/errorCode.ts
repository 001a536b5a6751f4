import { AGENT_ERROR_CODES, type AgentErrorCode } from '../../shared/contracts/agentCommands';

/** A collaborator's error code when it is one of the contract's, else the handler's default. */
export function agentErrorCode(error: unknown, fallback: AgentErrorCode): AgentErrorCode {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && (AGENT_ERROR_CODES as readonly string[]).includes(code) ? (code as AgentErrorCode) : fallback;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return 'unknown error';
}
