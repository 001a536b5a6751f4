import { Cron } from 'croner';
import { InvocationContext, type Timer } from '@azure/functions';
import type { FunctionRegistration } from './functionsCore';

export interface ScheduledTimer {
  readonly name: string;
  readonly schedule: string;
  nextRun(): Date | null;
  /** No new run starts; settles once the run in progress, if any, has finished. */
  stop(): Promise<void>;
}

/** Resolves `%NAME%` references in a binding value the way the Functions host does. */
export function resolveSetting(value: string, settings: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/%([^%]+)%/g, (_m, name: string) => {
    const resolved = settings[name];
    if (resolved === undefined || resolved === '') throw new Error(`'%${name}%' does not resolve to a value`);
    return resolved;
  });
}

/**
 * Runs a timer registration on its six-field NCRONTAB schedule (UTC). Like the host, one
 * execution at a time: a tick that comes while the previous run is busy is skipped and the
 * next run is marked past due.
 */
export function scheduleTimer(
  registration: FunctionRegistration,
  settings: Readonly<Record<string, string | undefined>>,
  log: (line: string) => void,
): ScheduledTimer {
  const trigger = Object.values(registration.metadata.bindings).find((b) => b.type === 'timerTrigger');
  if (!trigger || typeof trigger['schedule'] !== 'string') throw new Error(`${registration.name} is not a timer function`);
  const schedule = resolveSetting(trigger['schedule'], settings);
  let running: Promise<void> | undefined;
  let missed = false;
  const job = new Cron(schedule, { timezone: 'UTC', protect: true }, async () => {
    if (running) {
      missed = true;
      return;
    }
    let finished!: () => void;
    running = new Promise<void>((resolve) => (finished = resolve));
    const timer: Timer = { isPastDue: missed, schedule: { adjustForDST: false }, scheduleStatus: { last: new Date().toISOString(), next: job.nextRun()?.toISOString() ?? '', lastUpdated: new Date().toISOString() } };
    missed = false;
    const context = new InvocationContext({ functionName: registration.name, invocationId: `${registration.name}-${Date.now()}` });
    try {
      await registration.handler(timer, context);
    } catch (error) {
      log(`${registration.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      running = undefined;
      finished();
    }
  });
  return {
    name: registration.name,
    schedule,
    nextRun: () => job.nextRun(),
    stop: () => {
      job.stop();
      return running ?? Promise.resolve();
    },
  };
}
