import type { AgentCommand } from '../../shared/contracts/agentCommands';
import { isRunning, isServiceControlError, waitForState, type ServiceStatus } from '../service/serviceControl.port';
import { describe } from '../service/stopAndDisable';
import { failed, succeeded, type CommandHandler } from './commandHandler';
import type { ServiceCommandDeps } from './stopService';

/**
 * Makes this host the running side: startup Manual (as a Secondary must have), start with the
 * given parameters (`-takedbcontrol` when the old lock may still stand), confirm it runs.
 * The dispatcher has already refused a fenced host; the check here keeps the handler safe alone.
 */
export function startServiceHandler(deps: ServiceCommandDeps): CommandHandler<Extract<AgentCommand, { type: 'startService' }>> {
  return async (command, context) => {
    if (context.fenced) return failed('FENCED', 'This host is fenced: another host is the active side, so adTempus is not started here');
    let before: ServiceStatus;
    try {
      before = await deps.control.query();
    } catch (error) {
      return failed('SERVICE_CONTROL_FAILED', `The service's state could not be read: ${describe(error)}`);
    }
    if (before.state === 'not-installed') return failed('SERVICE_CONTROL_FAILED', 'The configured adTempus service is not installed on this host');

    await deps.activity.startOrdering();
    if (before.startupType !== 'manual') {
      try {
        await deps.control.setStartupType('manual');
      } catch (error) {
        return failed('SERVICE_CONTROL_FAILED', `The startup type could not be set to Manual: ${describe(error)}`, shape(before));
      }
    }
    if (isRunning(before)) {
      await deps.activity.observe(before.state);
      // Parameters only apply to a start; a running instance keeps the ones it was started with.
      return succeeded({ ...shape({ ...before, startupType: 'manual' }), alreadyRunning: true, parametersApplied: false });
    }
    try {
      await deps.control.start(command.parameters);
    } catch (error) {
      if (!isServiceControlError(error, 'ALREADY_RUNNING')) return failed('SERVICE_CONTROL_FAILED', `The service could not be started: ${describe(error)}`, shape(before));
    }
    let waited;
    try {
      waited = await waitForState(deps.control, isRunning, {
        timeoutMs: command.timeoutSeconds * 1000,
        timing: deps.timing,
        // After a start was accepted, "stopped" means the service ended during start-up.
        giveUpWhen: (s) => s.state === 'stopped' || s.state === 'not-installed',
      });
    } catch (error) {
      return failed('SERVICE_CONTROL_FAILED', `The service's state could not be read after starting it: ${describe(error)}`);
    }
    await deps.activity.observe(waited.status.state);
    if (waited.outcome === 'gave-up') {
      return failed(
        'SERVICE_CONTROL_FAILED',
        'The service stopped while starting; see the Application event log (adTempus refuses to start while another instance holds a fresh database lock)',
        shape(waited.status),
      );
    }
    if (waited.outcome === 'timeout') return failed('START_TIMEOUT', `The service was not running within ${command.timeoutSeconds} s`, shape(waited.status));
    return succeeded({ ...shape(waited.status), alreadyRunning: false, parametersApplied: true, parameters: [...command.parameters] });
  };
}

function shape(status: ServiceStatus): Record<string, unknown> {
  return { state: status.state, startupType: status.startupType, ...(status.pid !== undefined ? { pid: status.pid } : {}) };
}
