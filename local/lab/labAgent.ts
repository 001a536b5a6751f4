import type { AgentCore } from '../../agent/composition/composeAgentCore';
import type { AgentConfig } from '../../agent/config/agentConfig';
import { runAgent, type RunningAgent } from '../../agent/runAgent';
import type { Logger } from '../../shared/ports/logger.port';

export const LAB_AGENT_VERSION = '0.0.0-lab';

/** One host's agent, running in the lab's process. */
export type LabAgent = RunningAgent;

/**
 * The host agent exactly as agent/main.ts runs it (agent/runAgent.ts), over the lab host's
 * configuration, with the lab's log. `afterFenceCheck` runs right after the fence check, before
 * the first heartbeat: the lab plays the Windows service manager's start there.
 */
export function startLabAgent(config: AgentConfig, log: Logger, afterFenceCheck?: (core: AgentCore) => Promise<void>): Promise<LabAgent> {
  return runAgent(config, { log, agentVersion: LAB_AGENT_VERSION, ...(afterFenceCheck ? { afterFenceCheck } : {}) });
}
