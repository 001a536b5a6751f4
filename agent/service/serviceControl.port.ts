import type { SERVICE_PARAMETERS, ServiceState, StartupType } from '../../shared/contracts/agentCommands';
import { WatchdogError } from '../../shared/domain/errors';

export type ServiceParameter = (typeof SERVICE_PARAMETERS)[number];
/** Startup types the agent sets; 'unknown' is only ever read. */
export type SettableStartupType = Exclude<StartupType, 'unknown'>;

export interface ServiceStatus {
  readonly state: ServiceState;
  readonly startupType: StartupType;
  /** Process id while the service has one (running, pending states). */
  readonly pid?: number;
}

/**
 * The adTempus service as the agent controls it. `start` and `stop` only ask (like the SCM
 * does); callers confirm the outcome with `waitForState`. Failures are ServiceControlErrors.
 */
export interface ServiceControl {
  query(): Promise<ServiceStatus>;
  setStartupType(type: SettableStartupType): Promise<void>;
  start(parameters: readonly ServiceParameter[]): Promise<void>;
  stop(): Promise<void>;
  /** Ends the service's process at once; the last resort when a stop did not finish in time. */
  kill(): Promise<void>;
}

/**
 * Stable reasons, named after the Windows errors they mirror (1060, 5, 1056, 1062, 1058) so the
 * process-based lab implementation behaves like the SCM and callers need one set of rules.
 */
export type ServiceControlErrorCode = 'NOT_INSTALLED' | 'ACCESS_DENIED' | 'ALREADY_RUNNING' | 'NOT_STARTED' | 'DISABLED' | 'COMMAND_FAILED' | 'UNEXPECTED_OUTPUT';

export class ServiceControlError extends WatchdogError {
  constructor(
    readonly reason: ServiceControlErrorCode,
    message: string,
    meta: Readonly<Record<string, string | number | boolean>> = {},
    options?: { cause?: unknown },
  ) {
    super(`SERVICE_${reason}`, message, meta, options);
  }
}

export function isServiceControlError(error: unknown, reason?: ServiceControlErrorCode): error is ServiceControlError {
  return error instanceof ServiceControlError && (reason === undefined || error.reason === reason);
}

export interface WaitTiming {
  /** Milliseconds since any fixed point; injected so tests need no real waiting. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly pollMs: number;
}

export const realWaitTiming = (pollMs: number): WaitTiming => ({
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  pollMs,
});

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly timing: WaitTiming;
  /** Stop waiting early: the state can no longer reach the wanted one (e.g. stopped during a start). */
  readonly giveUpWhen?: (status: ServiceStatus) => boolean;
}

export type WaitResult =
  | { readonly outcome: 'reached'; readonly status: ServiceStatus }
  | { readonly outcome: 'timeout' | 'gave-up'; readonly status: ServiceStatus };

/**
 * Polls until `wanted` holds, the bound passes, or `giveUpWhen` holds. The first query runs at
 * once and a last one at the bound, so a service that got there just in time counts as there.
 */
export async function waitForState(control: ServiceControl, wanted: (status: ServiceStatus) => boolean, options: WaitOptions): Promise<WaitResult> {
  const { timing } = options;
  const deadline = timing.now() + options.timeoutMs;
  for (;;) {
    const status = await control.query();
    if (wanted(status)) return { outcome: 'reached', status };
    if (options.giveUpWhen?.(status)) return { outcome: 'gave-up', status };
    const left = deadline - timing.now();
    if (left <= 0) return { outcome: 'timeout', status };
    await timing.sleep(Math.min(timing.pollMs, left));
  }
}

export const isStopped = (status: ServiceStatus): boolean => status.state === 'stopped';
export const isRunning = (status: ServiceStatus): boolean => status.state === 'running';
