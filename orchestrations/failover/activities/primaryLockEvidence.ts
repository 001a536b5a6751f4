import * as df from 'durable-functions';
import { z } from 'zod';
import { failoverDeps, type FailoverDeps } from '../../../shared/composition/failoverDeps';
import type { PrimaryLockEvidence } from '../../../shared/contracts/failoverContract';
import { unreadableHeartbeatAgeSeconds } from '../../../shared/domain/approvalGate';
import type { HeartbeatReadFailure } from '../../../shared/domain/heartbeatReading';
import { sameHost, type PairDefinition } from '../../../shared/domain/pair';
import { findPair } from '../../../shared/services/failoverFacts';
import type { HeartbeatRecord } from '../../../shared/services/heartbeatMonitor';
import { stateKeys } from '../../../shared/services/stateKeys';
import { ACTIVITIES } from '../../names';
import { parseActivityInput } from './activityInput';
import { pairIdSchema } from './activitySchemas';
import { databaseAgeSeconds } from './databaseAgeSeconds';

const primaryLockEvidenceInputSchema = z.object({ pairId: pairIdSchema }).strict();

type LockEvidenceDeps = Pick<FailoverDeps, 'pairs' | 'heartbeats' | 'state' | 'clock' | 'logger'>;

/**
 * What the lock says about the Primary now (fence step: no stop confirmation, so the runbook waits
 * until the heartbeat is older than the takeover delay). Read from the Primary's database; when
 * that fails, the heartbeat monitor's memory bounds it: at least the time since the database stopped
 * answering (marked as an estimate). Never throws for a database that cannot be reached: that is an answer too.
 */
export function createPrimaryLockEvidenceActivity(deps: LockEvidenceDeps) {
  return async (input: { readonly pairId: string }, _context?: unknown): Promise<PrimaryLockEvidence> => {
    const { pairId } = parseActivityInput(ACTIVITIES.primaryLockEvidence, primaryLockEvidenceInputSchema, input);
    const pair = findPair(deps.pairs, pairId);
    const reading = await deps.heartbeats.read(pairId, 'primary');
    if (reading.kind === 'failed') return fromAssessment(deps, pair, reading);
    const owner = reading.owner?.trim() ?? '';
    if (owner === '') return { state: 'released', detail: "the lock on the Primary's database is released: adTempus stopped cleanly" };
    if (!sameHost(owner, pair.primary.hostName)) {
      return { state: 'other-owner', owner, detail: `${owner}, not the Primary, owns the lock on the Primary's database` };
    }
    const ageSeconds = databaseAgeSeconds(reading.heartbeatUtc, reading.dbNowUtc);
    return {
      state: 'primary-owner',
      owner,
      ...(ageSeconds !== undefined ? { ageSeconds } : {}),
      detail:
        ageSeconds === undefined
          ? `the Primary (${owner}) owns the lock but has written no heartbeat`
          : `the Primary (${owner}) owns the lock; its heartbeat is ${ageSeconds} s old on the database clock`,
    };
  };
}

async function fromAssessment(deps: LockEvidenceDeps, pair: PairDefinition, failure: HeartbeatReadFailure): Promise<PrimaryLockEvidence> {
  const unread = `the Primary's database could not be read (${failure.code}): ${failure.message}`;
  let record: HeartbeatRecord | undefined;
  try {
    record = (await deps.state.read<HeartbeatRecord>(stateKeys.heartbeat(pair.id)))?.value;
  } catch (error) {
    // Knowing nothing is a safe answer (it never counts as old); a retry would only delay it.
    deps.logger.warn('heartbeat record unreadable while estimating the Primary heartbeat age', { pair: pair.id, error: (error as Error).message });
  }
  const seconds = unreadableHeartbeatAgeSeconds(record?.memory, deps.clock());
  if (seconds === undefined) {
    return { state: 'unknown', detail: `${unread}; the heartbeat monitor has not yet seen the database fail, so nothing bounds its heartbeat's age` };
  }
  const estimate = Math.floor(seconds * 10) / 10;
  return {
    state: 'unknown',
    ageSeconds: estimate,
    detail: `${unread}; it has not answered the heartbeat monitor since ${record?.memory.run.since ?? '?'}, so its heartbeat is at least ${estimate} s old`,
  };
}

df.app.activity(ACTIVITIES.primaryLockEvidence, {
  handler: (input: { readonly pairId: string }, context) => createPrimaryLockEvidenceActivity(failoverDeps(context))(input, context),
});
