import * as df from 'durable-functions';
import { z } from 'zod';
import { failoverDeps, type FailoverDeps } from '../../../shared/composition/failoverDeps';
import type { OwnerReading, ReadOwnerInput } from '../../../shared/contracts/failoverContract';
import type { HeartbeatReading } from '../../../shared/domain/heartbeatReading';
import { findPair } from '../../../shared/services/failoverFacts';
import { ACTIVITIES } from '../../names';
import { parseActivityInput } from './activityInput';
import { databaseAgeSeconds } from './databaseAgeSeconds';
import { hostRoleSchema, pairIdSchema } from './activitySchemas';

const readOwnerInputSchema = z.object({ pairId: pairIdSchema, side: hostRoleSchema }).strict();

/**
 * One read of a side's lock (verify: does the Secondary's machine own it, and does its heartbeat
 * advance?). An unreachable database is an answer (ok false), not a failure to retry.
 */
export function createReadOwnerActivity(deps: Pick<FailoverDeps, 'pairs' | 'heartbeats'>) {
  return async (input: ReadOwnerInput, _context?: unknown): Promise<OwnerReading> => {
    const { pairId, side } = parseActivityInput(ACTIVITIES.readOwner, readOwnerInputSchema, input);
    findPair(deps.pairs, pairId);
    return toOwnerReading(await deps.heartbeats.read(pairId, side), side);
  };
}

function toOwnerReading(reading: HeartbeatReading, side: string): OwnerReading {
  if (reading.kind === 'failed') return { ok: false, detail: `the ${side}'s database could not be read (${reading.code}): ${reading.message}` };
  const owner = reading.owner === null || reading.owner.trim() === '' ? null : reading.owner;
  const ageSeconds = databaseAgeSeconds(reading.heartbeatUtc, reading.dbNowUtc);
  const heartbeat = reading.heartbeatUtc === null ? 'no heartbeat' : `heartbeat ${reading.heartbeatUtc.toISOString()} (${ageSeconds} s old on the database clock)`;
  return {
    ok: true,
    owner,
    ...(reading.heartbeatUtc !== null ? { heartbeatUtc: reading.heartbeatUtc.toISOString() } : {}),
    ...(ageSeconds !== undefined ? { ageSeconds } : {}),
    detail: owner === null ? `the lock on the ${side}'s database is released; ${heartbeat}` : `${owner} owns the lock on the ${side}'s database; ${heartbeat}`,
  };
}

df.app.activity(ACTIVITIES.readOwner, {
  handler: (input: ReadOwnerInput, context) => createReadOwnerActivity(failoverDeps(context))(input, context),
});
