import * as df from 'durable-functions';
import { z } from 'zod';
import { failoverDeps, type FailoverDeps } from '../../../shared/composition/failoverDeps';
import type { RaiseEpochInput, RaiseEpochResult } from '../../../shared/contracts/failoverContract';
import { findPair } from '../../../shared/services/failoverFacts';
import { raiseEpoch } from '../../../shared/services/fenceWriter';
import { ACTIVITIES } from '../../names';
import { parseActivityInput } from './activityInput';
import { pairIdSchema } from './activitySchemas';

const raiseEpochInputSchema = z
  .object({
    pairId: pairIdSchema,
    instanceId: z.string().min(1).max(128),
    // Kept to the fence record's 500 characters by the writer.
    reason: z.string().min(1),
  })
  .strict();

/** The fence: the pair's epoch goes up by one and the fence record names the Secondary. */
export function createRaiseEpochActivity(deps: Pick<FailoverDeps, 'pairs' | 'state' | 'clock' | 'logger'>) {
  return async (input: RaiseEpochInput, _context?: unknown): Promise<RaiseEpochResult> => {
    const { pairId, instanceId, reason } = parseActivityInput(ACTIVITIES.raiseEpoch, raiseEpochInputSchema, input);
    const pair = findPair(deps.pairs, pairId);
    const result = await raiseEpoch(deps.state, { pairId, activeHost: pair.secondary.hostName, failoverId: instanceId, reason, now: deps.clock() });
    deps.logger.warn(result.alreadyRaised ? 'fence already raised by this failover' : 'fence raised: the Secondary is now the active host', {
      pair: pairId,
      instanceId,
      epoch: result.epoch,
      previousEpoch: result.previousEpoch,
      activeHost: result.activeHost,
    });
    return result;
  };
}

df.app.activity(ACTIVITIES.raiseEpoch, {
  handler: (input: RaiseEpochInput, context) => createRaiseEpochActivity(failoverDeps(context))(input, context),
});
