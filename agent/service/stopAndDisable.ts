import {
  isServiceControlError,
  isStopped,
  waitForState,
  type ServiceControl,
  type ServiceStatus,
  type WaitTiming,
} from './serviceControl.port';

export interface StopAndDisableOptions {
  readonly timeoutMs: number;
  readonly killAfterTimeout: boolean;
  /** How long a killed process may take to disappear. */
  readonly killWaitMs: number;
  readonly timing: WaitTiming;
}

export type StopAndDisableOutcome =
  | {
      readonly ok: true;
      readonly status: ServiceStatus;
      readonly wasRunning: boolean;
      readonly killed: boolean;
      /** The service is stopped, but its startup could not be set to Disabled (why, without secrets). */
      readonly disableProblem?: string;
    }
  | { readonly ok: false; readonly code: 'STOP_TIMEOUT' | 'SERVICE_CONTROL_FAILED'; readonly message: string; readonly status?: ServiceStatus };

/**
 * The one way the agent stops adTempus, for the stopService command and for a fenced host alike.
 * Disabled first, so nothing (a recovery action, a reboot, a person) starts it again once stopped;
 * then stop and confirm within the bound; then, if allowed, end the process and confirm again.
 */
export async function stopAndDisable(control: ServiceControl, options: StopAndDisableOptions): Promise<StopAndDisableOutcome> {
  let before: ServiceStatus;
  try {
    before = await control.query();
  } catch (error) {
    return { ok: false, code: 'SERVICE_CONTROL_FAILED', message: `The service's state could not be read: ${describe(error)}` };
  }
  if (before.state === 'not-installed') {
    // A wrong service name must not read as "adTempus is stopped": the real one may be running.
    return { ok: false, code: 'SERVICE_CONTROL_FAILED', message: 'The configured adTempus service is not installed on this host; nothing was stopped', status: before };
  }

  let disableProblem: string | undefined;
  if (before.startupType !== 'disabled') {
    try {
      await control.setStartupType('disabled');
    } catch (error) {
      disableProblem = `startup type could not be set to Disabled: ${describe(error)}`;
    }
  }

  const wasRunning = !isStopped(before);
  if (wasRunning) {
    try {
      await control.stop();
    } catch (error) {
      // "Not started": it stopped meanwhile. Other refusals (e.g. 1061 while start-pending) are covered by the wait and the kill.
      if (!isServiceControlError(error, 'NOT_STARTED') && !isServiceControlError(error, 'COMMAND_FAILED')) {
        return { ok: false, code: 'SERVICE_CONTROL_FAILED', message: `The service could not be stopped: ${describe(error)}`, status: before };
      }
    }
  }

  let killed = false;
  let waited = await waitSafely(control, options.timeoutMs, options.timing);
  if (waited.outcome !== 'reached' && options.killAfterTimeout) {
    try {
      await control.kill();
      killed = true;
    } catch (error) {
      return { ok: false, code: 'STOP_TIMEOUT', message: `The service did not stop within ${seconds(options.timeoutMs)} and could not be ended: ${describe(error)}`, ...statusOf(waited) };
    }
    waited = await waitSafely(control, options.killWaitMs, options.timing);
  }
  if (waited.outcome !== 'reached' || waited.status === undefined) {
    const how = killed ? ' nor after its process was ended' : options.killAfterTimeout ? '' : ' (ending the process was not allowed)';
    return { ok: false, code: 'STOP_TIMEOUT', message: `The service did not stop within ${seconds(options.timeoutMs)}${how}`, ...statusOf(waited) };
  }

  // Setting Disabled can fail while the service is still stopping; once stopped, try again.
  if (disableProblem !== undefined || waited.status.startupType !== 'disabled') {
    try {
      await control.setStartupType('disabled');
      disableProblem = undefined;
    } catch (error) {
      disableProblem = `startup type could not be set to Disabled: ${describe(error)}`;
    }
  }
  let status = waited.status;
  try {
    status = await control.query();
  } catch {
    // The stop is confirmed; a failed re-read only leaves the startup type as last seen.
  }
  return { ok: true, status, wasRunning, killed, ...(disableProblem !== undefined ? { disableProblem } : {}) };
}

type Waited = { outcome: 'reached' | 'timeout' | 'gave-up' | 'error'; status?: ServiceStatus; error?: unknown };

async function waitSafely(control: ServiceControl, timeoutMs: number, timing: WaitTiming): Promise<Waited> {
  try {
    return await waitForState(control, isStopped, { timeoutMs, timing });
  } catch (error) {
    return { outcome: 'error', error };
  }
}

function statusOf(waited: Waited): { status?: ServiceStatus } {
  return waited.status !== undefined ? { status: waited.status } : {};
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
