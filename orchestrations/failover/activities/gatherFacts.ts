import * as df from 'durable-functions';
import { z } from 'zod';
import { failoverDeps, type FailoverDeps } from '../../../shared/composition/failoverDeps';
import type { FailoverFacts } from '../../../shared/contracts/failoverContract';
import { gatherFailoverFacts } from '../../../shared/services/failoverFacts';
import { ACTIVITIES } from '../../names';
import { parseActivityInput } from './activityInput';
import { pairIdSchema } from './activitySchemas';

const gatherFactsInputSchema = z
  .object({
    pairId: pairIdSchema,
    /** A person's request: the decision then answers it instead of judging the heartbeat alone. */
    request: z.object({ requestedBy: z.string().min(1), reason: z.string() }).strict().optional(),
  })
  .strict();

export type GatherFactsInput = z.input<typeof gatherFactsInputSchema>;

/** The evidence the runbook decides on, read now (pair settings, decision, fence, newest backup). */
export function createGatherFactsActivity(deps: Pick<FailoverDeps, 'pairs' | 'state' | 'backups' | 'clock'>) {
  return async (input: GatherFactsInput, _context?: unknown): Promise<FailoverFacts> => {
    const { pairId, request } = parseActivityInput(ACTIVITIES.gatherFacts, gatherFactsInputSchema, input);
    return gatherFailoverFacts(deps, pairId, request);
  };
}

df.app.activity(ACTIVITIES.gatherFacts, {
  handler: (input: GatherFactsInput, context) => createGatherFactsActivity(failoverDeps(context))(input, context),
});
