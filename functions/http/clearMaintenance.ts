import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { failoverApiDeps, identityHeadersTrusted } from '../../shared/composition/failoverApi';
import { invocationLogger } from '../../shared/composition/logging';
import { callerIdentity } from '../../shared/http/callerIdentity';
import { handleHttp } from '../../shared/http/handleHttp';
import { jsonResponse } from '../../shared/http/jsonResponse';
import { findPair } from '../../shared/services/failoverFacts';
import { clearMaintenance as switchMaintenanceOff } from '../../shared/services/pairControl';

/** DELETE /api/pairs/{id}/maintenance: automatic actions resume. Clearing twice is not an error. */
export async function clearMaintenance(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = invocationLogger(context, { function: 'clearMaintenance', invocationId: context.invocationId });
  return handleHttp(logger, context.invocationId, async () => {
    const deps = failoverApiDeps(context, logger);
    const pair = findPair(deps.pairs, request.params.id ?? '');
    const caller = callerIdentity(request.headers, identityHeadersTrusted());
    const outcome = await switchMaintenanceOff(deps.state, pair.id, caller.name);
    if (outcome.kind === 'not-in-maintenance') return jsonResponse(200, { pairId: pair.id, cleared: false, maintenance: { active: false } });
    logger.warn('maintenance switched off', { pair: pair.id, by: caller.name });
    return jsonResponse(200, { pairId: pair.id, cleared: true, clearedBy: caller.name, previous: outcome.previous, maintenance: { active: false } });
  });
}

app.http('clearMaintenance', { route: 'pairs/{id}/maintenance', methods: ['DELETE'], authLevel: 'function', handler: clearMaintenance });
