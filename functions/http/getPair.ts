import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { failoverApiDeps } from '../../shared/composition/failoverApi';
import { invocationLogger } from '../../shared/composition/logging';
import { durableClientInput } from '../../shared/composition/orchestrationClient';
import { handleHttp } from '../../shared/http/handleHttp';
import { jsonResponse } from '../../shared/http/jsonResponse';
import { describePair } from '../../shared/services/pairViews';

/** GET /api/pairs/{id}: one pair in full (assessments with evidence, fence, control, failover). */
export async function getPair(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = invocationLogger(context, { function: 'getPair', invocationId: context.invocationId });
  return handleHttp(logger, context.invocationId, async () => jsonResponse(200, await describePair(failoverApiDeps(context, logger), request.params.id ?? '')));
}

app.http('getPair', { route: 'pairs/{id}', methods: ['GET'], authLevel: 'function', extraInputs: [durableClientInput], handler: getPair });
