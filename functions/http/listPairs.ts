import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { failoverApiDeps } from '../../shared/composition/failoverApi';
import { invocationLogger } from '../../shared/composition/logging';
import { durableClientInput } from '../../shared/composition/orchestrationClient';
import { handleHttp } from '../../shared/http/handleHttp';
import { jsonResponse } from '../../shared/http/jsonResponse';
import { listPairSummaries } from '../../shared/services/pairViews';

/** GET /api/pairs: every pair's state at a glance. */
export async function listPairs(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = invocationLogger(context, { function: 'listPairs', invocationId: context.invocationId });
  return handleHttp(logger, context.invocationId, async () => jsonResponse(200, { pairs: await listPairSummaries(failoverApiDeps(context, logger)) }));
}

app.http('listPairs', { route: 'pairs', methods: ['GET'], authLevel: 'function', extraInputs: [durableClientInput], handler: listPairs });
