import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { HostRole, OwnerReading, ReadOwnerInput } from '../../shared/contracts/failoverContract';
import { sameHost } from '../../shared/domain/pair';
import { ACTIVITIES } from '../names';

export type Verified = { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly detail: string };

const READ_RETRY = Object.assign(new df.RetryOptions(2_000, 3), { backoffCoefficient: 2 });

/**
 * The takeover holds when the Secondary owns the lock and its heartbeat advances between two
 * readings: a start that only reached "running" in the service manager is not yet a takeover.
 */
export function* verifyTakeover(
  context: OrchestrationContext,
  input: { readonly pairId: string; readonly side: HostRole; readonly secondaryHost: string; readonly pollSeconds: number; readonly until: Date },
  onReading: (line: string) => void,
): Generator<Task, Verified, unknown> {
  let first: OwnerReading | undefined;
  let last: string;
  for (;;) {
    let reading: OwnerReading | undefined;
    try {
      reading = (yield context.df.callActivityWithRetry(ACTIVITIES.readOwner, READ_RETRY, { pairId: input.pairId, side: input.side } satisfies ReadOwnerInput)) as OwnerReading;
    } catch {
      reading = undefined;
    }
    if (reading?.ok && typeof reading.owner === 'string' && sameHost(reading.owner, input.secondaryHost) && reading.heartbeatUtc !== undefined) {
      if (first?.heartbeatUtc !== undefined && Date.parse(reading.heartbeatUtc) > Date.parse(first.heartbeatUtc)) {
        return { ok: true, detail: `${input.secondaryHost} owns the lock and its heartbeat advanced from ${first.heartbeatUtc} to ${reading.heartbeatUtc}` };
      }
      first ??= reading;
      last = `${input.secondaryHost} owns the lock (heartbeat ${reading.heartbeatUtc}); waiting for it to advance`;
    } else {
      last = reading ? reading.detail : 'the lock could not be read';
    }
    onReading(last);
    const next = context.df.currentUtcDateTime.getTime() + input.pollSeconds * 1000;
    if (next > input.until.getTime()) return { ok: false, detail: `by ${input.until.toISOString()} the takeover was not confirmed: ${last}` };
    yield context.df.createTimer(new Date(next));
  }
}
