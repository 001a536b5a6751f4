import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { PrimaryLockEvidence } from '../../shared/contracts/failoverContract';
import { formatSeconds } from '../../shared/domain/heartbeatAssessment';
import { ACTIVITIES } from '../names';

export type PrimaryDown = { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly detail: string };

const READ_RETRY = Object.assign(new df.RetryOptions(5_000, 3), { backoffCoefficient: 2 });

/**
 * Without the Primary agent's confirmation, the fence holds only once the lock says the Primary
 * is gone: released, or its heartbeat older than the takeover delay (adTempus's own rule for a
 * new owner). Waits on durable timers, re-reading the lock, until that holds or `giveUpAt`.
 * An unknown age never counts: the safe answer to "is it running?" is "maybe".
 */
export function* awaitPrimaryDown(
  context: OrchestrationContext,
  pairId: string,
  takeoverDelaySeconds: number,
  pollSeconds: number,
  giveUpAt: Date,
  onReading: (line: string) => void,
): Generator<Task, PrimaryDown, unknown> {
  let last: string;
  for (;;) {
    let evidence: PrimaryLockEvidence | undefined;
    try {
      evidence = (yield context.df.callActivityWithRetry(ACTIVITIES.primaryLockEvidence, READ_RETRY, { pairId })) as PrimaryLockEvidence;
    } catch {
      evidence = undefined;
    }
    if (evidence?.state === 'released') return { ok: true, detail: `the Primary released the lock (${evidence.detail})` };
    if (evidence?.state === 'other-owner') return { ok: false, detail: `the lock is held by ${evidence.owner ?? 'another machine'}, neither side of the pair expected it (${evidence.detail})` };
    const age = evidence?.ageSeconds;
    if (age !== undefined && age > takeoverDelaySeconds) {
      return { ok: true, detail: `the Primary's heartbeat is ${formatSeconds(age)} old, older than the takeover delay of ${formatSeconds(takeoverDelaySeconds)} (${evidence?.detail ?? ''})` };
    }
    last = evidence ? `${evidence.detail}` : 'the lock could not be read';
    onReading(`waiting for the Primary's heartbeat to pass the takeover delay: ${last}`);
    const now = context.df.currentUtcDateTime.getTime();
    if (now >= giveUpAt.getTime()) {
      return { ok: false, detail: `the Primary was not confirmed stopped: its agent did not confirm the stop and by ${giveUpAt.toISOString()} its heartbeat was still not older than the takeover delay (${last})` };
    }
    const untilOlder = age !== undefined ? (takeoverDelaySeconds - age + 1) * 1000 : pollSeconds * 1000;
    const next = Math.min(giveUpAt.getTime(), now + Math.max(pollSeconds * 1000, untilOlder));
    yield context.df.createTimer(new Date(next));
  }
}
