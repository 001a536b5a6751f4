import { fenceKey, fenceRecordSchema, type FenceRecord } from '../contracts/fenceRecord';
import type { RaiseEpochResult } from '../contracts/failoverContract';
import { WatchdogError } from '../domain/errors';
import { sameHost } from '../domain/pair';
import type { StateStore } from '../ports/stateStore.port';
import { updateRecord } from './updateRecord';

export interface RaiseEpochRequest {
  readonly pairId: string;
  /** The Secondary's host name: the only host allowed to run adTempus once the write lands. */
  readonly activeHost: string;
  /** The failover instance raising it; a retry of the same instance recognises its own write. */
  readonly failoverId: string;
  readonly reason: string;
  readonly now: Date;
}

const MAX_REASON = 500;

/**
 * The fence step's write (DESIGN.md, step 4): the pair's epoch goes up by one and the record
 * names the Secondary. ETag-conditional, so a concurrent writer is never overwritten: on a
 * conflict the record is read again and the decision made again from what the other writer left.
 * A record naming the Secondary for this very failover is a retry's answer and is not raised
 * again. A record that does not parse is never overwritten: nobody can say what epoch the agents
 * have seen, so a person must look.
 */
export async function raiseEpoch(state: StateStore, request: RaiseEpochRequest): Promise<RaiseEpochResult> {
  const key = fenceKey(request.pairId);
  let decided: RaiseEpochResult | undefined;
  await updateRecord<unknown>(state, key, (stored) => {
    const current = stored === undefined ? undefined : parseFence(stored, request.pairId);
    if (current && sameHost(current.activeHost, request.activeHost) && current.failoverId === request.failoverId) {
      decided = { epoch: current.epoch, activeHost: current.activeHost, previousEpoch: Math.max(0, current.epoch - 1), alreadyRaised: true };
      return undefined;
    }
    const previousEpoch = current?.epoch ?? 0;
    const next: FenceRecord = fenceRecordSchema.parse({
      pairId: request.pairId,
      epoch: previousEpoch + 1,
      activeHost: request.activeHost,
      updatedAt: request.now.toISOString(),
      reason: request.reason.slice(0, MAX_REASON),
      failoverId: request.failoverId,
    });
    decided = { epoch: next.epoch, activeHost: next.activeHost, previousEpoch, alreadyRaised: false };
    return next;
  });
  // updateRecord ran the decision at least once, or threw.
  if (decided === undefined) throw new WatchdogError('FENCE_WRITE_FAILED', `The fence record of pair ${request.pairId} was not decided`, { pairId: request.pairId });
  return decided;
}

function parseFence(stored: unknown, pairId: string): FenceRecord {
  const parsed = fenceRecordSchema.safeParse(stored);
  if (!parsed.success) {
    throw new WatchdogError('FENCE_RECORD_INVALID', `The fence record of pair ${pairId} does not parse; it was left as it is: fix or remove it by hand`, { pairId });
  }
  return parsed.data;
}
