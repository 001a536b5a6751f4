import * as df from 'durable-functions';
import { z } from 'zod';
import { failoverDeps, type FailoverDeps } from '../../../shared/composition/failoverDeps';
import type { CloseFailoverInput } from '../../../shared/contracts/failoverContract';
import { closeFailover, failoverResultSchema } from '../../../shared/services/failoverAudit';
import { ACTIVITIES } from '../../names';
import { parseActivityInput } from './activityInput';

const closeFailoverInputSchema = z.object({ result: failoverResultSchema }).strict();

/** Keeps the failover's audit record and, after a completed failover, starts the pair's cool-down. */
export function createCloseFailoverActivity(deps: Pick<FailoverDeps, 'state' | 'logger'>) {
  return async (input: CloseFailoverInput, _context?: unknown): Promise<void> => {
    const { result } = parseActivityInput(ACTIVITIES.closeFailover, closeFailoverInputSchema, input);
    const outcome = await closeFailover(deps, result);
    deps.logger.info('failover closed', { pair: result.pairId, instanceId: result.instanceId, outcome: result.outcome, code: result.code, ...outcome });
  };
}

df.app.activity(ACTIVITIES.closeFailover, {
  handler: (input: CloseFailoverInput, context) => createCloseFailoverActivity(failoverDeps(context))(input, context),
});
