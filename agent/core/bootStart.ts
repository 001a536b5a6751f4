import type { Logger } from '../../shared/ports/logger.port';
import { isRunning, isServiceControlError, waitForState, type ServiceControl, type WaitTiming } from '../service/serviceControl.port';
import { describe } from '../service/stopAndDisable';
import type { FenceCheck } from './fenceGuard';
import type { Mutex } from './mutex';
import type { ServiceActivity } from './serviceActivity';

export type BootStartOutcome =
  | { readonly kind: 'started' }
  | { readonly kind: 'already-running' }
  /** The fence record names another host: this one stays stopped (the fence guard saw to it). */
  | { readonly kind: 'not-active' }
  /** Set to Disabled on the active host: somebody meant it to stay down, so it is left alone. */
  | { readonly kind: 'disabled' }
  | { readonly kind: 'not-installed' }
  | { readonly kind: 'failed'; readonly reason: string }
  /** The agent stopped before the fence record could be read. */
  | { readonly kind: 'cancelled' };

export interface BootStartRun {
  /** Settles once the start has been asked for, decided against, or put off until the fence record can be read. */
  readonly requested: Promise<void>;
  /** Settles with how it ended; never rejects. */
  readonly outcome: Promise<BootStartOutcome>;
  /** Ends the retries while the fence record is unreadable. */
  cancel(): void;
}

export interface BootStartDeps {
  readonly pairId: string;
  readonly host: string;
  readonly check: () => Promise<FenceCheck>;
  readonly control: ServiceControl;
  readonly activity: ServiceActivity;
  /** The dispatcher's lock: a command arriving meanwhile waits until the start is confirmed. */
  readonly serviceLock: Mutex;
  readonly timing: WaitTiming;
  readonly startTimeoutMs: number;
  /** How often to read the fence record again while it cannot be read. */
  readonly retryIntervalMs: number;
  readonly log: Logger;
}

/**
 * Starts adTempus when the agent starts, and only once the fence record says this host is the
 * active side. With the service set to Manual nothing else starts it at boot, so a Primary that
 * comes back after a failover never runs a job before its agent has read that another host took
 * over. While the record cannot be read the start is put off and retried: a host that cannot
 * tell whether it is fenced does not start adTempus (the watchdog sees the stopped service and
 * decides).
 *
 * `requested` settles as soon as the start has been asked for, so the agent's first heartbeat
 * already reports a start pending rather than a service that stopped on its own.
 */
export function startAtBoot(deps: BootStartDeps, first: FenceCheck): BootStartRun {
  let cancelled = false;
  let wake: (() => void) | undefined;
  let markRequested!: () => void;
  const requested = new Promise<void>((resolve) => (markRequested = resolve));

  const run = async (): Promise<BootStartOutcome> => {
    let check = first;
    if (!check.ok) {
      deps.log.warn('adTempus is not started at boot until the fence record can be read', { pairId: deps.pairId, problem: check.problem, retrySeconds: deps.retryIntervalMs / 1000 });
      markRequested();
    }
    while (!check.ok) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, deps.retryIntervalMs).unref();
      });
      if (cancelled) return { kind: 'cancelled' };
      check = await deps.check();
    }
    if (check.fenced) {
      deps.log.info('adTempus is not started at boot: this host is not the active side', { pairId: deps.pairId, activeHost: check.record?.activeHost, epoch: check.record?.epoch });
      return { kind: 'not-active' };
    }
    return deps.serviceLock.runExclusive(() => startIfStopped(deps, markRequested));
  };

  const outcome = run()
    .catch((error: unknown): BootStartOutcome => {
      deps.log.error('adTempus could not be started at boot', { pairId: deps.pairId, reason: describe(error) });
      return { kind: 'failed', reason: describe(error) };
    })
    .finally(markRequested);
  return {
    requested,
    outcome,
    cancel() {
      cancelled = true;
      wake?.();
    },
  };
}

async function startIfStopped(deps: BootStartDeps, markRequested: () => void): Promise<BootStartOutcome> {
  const { log, pairId } = deps;
  const before = await deps.control.query();
  if (before.state === 'not-installed') {
    log.error('adTempus is not started at boot: the configured service is not installed', { pairId });
    return { kind: 'not-installed' };
  }
  if (before.startupType === 'automatic') {
    log.warn('The adTempus service is set to Automatic: Windows may start it before this agent has read the fence record; set it to Manual', { pairId });
  }
  if (isRunning(before) || before.state === 'start-pending') {
    await deps.activity.observe(before.state);
    return { kind: 'already-running' };
  }
  if (before.startupType === 'disabled') {
    log.warn('adTempus is Disabled on the active host and is not started at boot; set it to Manual or order startService', { pairId, host: deps.host });
    return { kind: 'disabled' };
  }
  await deps.activity.startOrdering();
  try {
    await deps.control.start([]);
  } catch (error) {
    if (!isServiceControlError(error, 'ALREADY_RUNNING')) {
      log.error('adTempus could not be started at boot', { pairId, reason: describe(error) });
      return { kind: 'failed', reason: describe(error) };
    }
  }
  markRequested();
  const waited = await waitForState(deps.control, isRunning, {
    timeoutMs: deps.startTimeoutMs,
    timing: deps.timing,
    giveUpWhen: (s) => s.state === 'stopped' || s.state === 'not-installed',
  });
  await deps.activity.observe(waited.status.state);
  if (waited.outcome !== 'reached') {
    const reason = waited.outcome === 'timeout' ? `not running within ${deps.startTimeoutMs / 1000} s` : `it stopped while starting (${waited.status.state})`;
    log.error('adTempus could not be started at boot', { pairId, reason });
    return { kind: 'failed', reason };
  }
  log.info('adTempus started at boot: this host is the active side', { pairId, host: deps.host });
  return { kind: 'started' };
}
