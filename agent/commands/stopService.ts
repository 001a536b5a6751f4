import type { AgentCommand } from '../../shared/contracts/agentCommands';
import type { ServiceActivity } from '../core/serviceActivity';
import type { ServiceControl, WaitTiming } from '../service/serviceControl.port';
import { stopAndDisable } from '../service/stopAndDisable';
import { failed, succeeded, type CommandHandler } from './commandHandler';

export interface ServiceCommandDeps {
  readonly control: ServiceControl;
  readonly activity: ServiceActivity;
  readonly timing: WaitTiming;
  /** How long a killed process may take to disappear. */
  readonly killWaitMs: number;
}

/**
 * Fencing's second half: adTempus stopped and Disabled on this host, confirmed within the bound.
 * A stop that could not be confirmed is STOP_TIMEOUT; the watchdog then waits out the takeover delay.
 */
export function stopServiceHandler(deps: ServiceCommandDeps): CommandHandler<Extract<AgentCommand, { type: 'stopService' }>> {
  return async (command) => {
    await deps.activity.stopOrdering();
    const outcome = await stopAndDisable(deps.control, {
      timeoutMs: command.timeoutSeconds * 1000,
      killAfterTimeout: command.killAfterTimeout,
      killWaitMs: deps.killWaitMs,
      timing: deps.timing,
    });
    if (!outcome.ok) {
      return failed(outcome.code, outcome.message, outcome.status ? { state: outcome.status.state, startupType: outcome.status.startupType } : undefined);
    }
    await deps.activity.observe(outcome.status.state);
    return succeeded({
      state: outcome.status.state,
      startupType: outcome.status.startupType,
      wasRunning: outcome.wasRunning,
      killed: outcome.killed,
      ...(outcome.disableProblem !== undefined ? { warning: outcome.disableProblem } : {}),
    });
  };
}
