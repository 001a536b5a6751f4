import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { failoverApiDeps, identityHeadersTrusted } from '../../shared/composition/failoverApi';
import { invocationLogger } from '../../shared/composition/logging';
import { callerIdentity } from '../../shared/http/callerIdentity';
import { handleHttp } from '../../shared/http/handleHttp';
import { jsonResponse } from '../../shared/http/jsonResponse';
import { readJsonBody } from '../../shared/http/readJsonBody';
import { RequestError } from '../../shared/http/requestError';
import { findPair } from '../../shared/services/failoverFacts';
import { setMaintenance as switchMaintenanceOn } from '../../shared/services/pairControl';

const bodySchema = z
  .object({
    reason: z.string().trim().min(1).max(1000),
    /** ISO 8601; maintenance ends by itself then. */
    until: z.string().optional(),
  })
  .strict();

/** PUT /api/pairs/{id}/maintenance: no automatic action for the pair (alerts still flow) until cleared or `until`. */
export async function setMaintenance(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = invocationLogger(context, { function: 'setMaintenance', invocationId: context.invocationId });
  return handleHttp(logger, context.invocationId, async () => {
    const deps = failoverApiDeps(context, logger);
    const pair = findPair(deps.pairs, request.params.id ?? '');
    const body = await readJsonBody(request, bodySchema);
    const caller = callerIdentity(request.headers, identityHeadersTrusted());
    const outcome = await switchMaintenanceOn(deps.state, pair.id, { by: caller.name, reason: body.reason, ...(body.until !== undefined ? { until: body.until } : {}) }, deps.clock());
    if (outcome.kind === 'invalid') throw new RequestError('INVALID_REQUEST', 'The maintenance request is not valid', outcome.problems);
    logger.warn('maintenance switched on', { pair: pair.id, by: caller.name, until: outcome.control.maintenance?.until ?? null });
    return jsonResponse(200, { pairId: pair.id, maintenance: { active: true, ...outcome.control.maintenance } });
  });
}

app.http('setMaintenance', { route: 'pairs/{id}/maintenance', methods: ['PUT'], authLevel: 'function', handler: setMaintenance });
