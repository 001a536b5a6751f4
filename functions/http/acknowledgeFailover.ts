import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { failoverApiDeps, identityHeadersTrusted } from '../../shared/composition/failoverApi';
import { invocationLogger } from '../../shared/composition/logging';
import { callerIdentity } from '../../shared/http/callerIdentity';
import { handleHttp } from '../../shared/http/handleHttp';
import { jsonResponse } from '../../shared/http/jsonResponse';
import { readJsonBody } from '../../shared/http/readJsonBody';
import { findPair } from '../../shared/services/failoverFacts';
import { FailoverStateError } from '../../shared/services/failoverRequestErrors';
import { acknowledgeFailover as acknowledge } from '../../shared/services/pairControl';

const bodySchema = z.object({ comment: z.string().trim().min(1).max(1000).optional() }).strict();

/** POST /api/pairs/{id}/acknowledge: a person has looked at the last failover; its cool-down ends now. */
export async function acknowledgeFailover(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = invocationLogger(context, { function: 'acknowledgeFailover', invocationId: context.invocationId });
  return handleHttp(logger, context.invocationId, async () => {
    const deps = failoverApiDeps(context, logger);
    const pair = findPair(deps.pairs, request.params.id ?? '');
    const body = await readJsonBody(request, bodySchema);
    const caller = callerIdentity(request.headers, identityHeadersTrusted());
    const outcome = await acknowledge(deps.state, pair.id, caller.name, deps.clock());
    if (outcome.kind === 'nothing-to-acknowledge') {
      throw new FailoverStateError('NOTHING_TO_ACKNOWLEDGE', `Pair ${pair.id} has no failover on record to acknowledge`);
    }
    // The control record keeps who and when; the comment goes to the log, next to them.
    logger.warn('failover acknowledged', { pair: pair.id, by: caller.name, instanceId: outcome.lastFailover.instanceId, ...(body.comment ? { comment: body.comment } : {}) });
    return jsonResponse(200, { pairId: pair.id, alreadyAcknowledged: outcome.kind === 'already-acknowledged', lastFailover: outcome.lastFailover, coolDown: { active: false } });
  });
}

app.http('acknowledgeFailover', { route: 'pairs/{id}/acknowledge', methods: ['POST'], authLevel: 'function', handler: acknowledgeFailover });
