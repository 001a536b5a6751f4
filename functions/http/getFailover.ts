import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { failoverApiDeps } from '../../shared/composition/failoverApi';
import { invocationLogger } from '../../shared/composition/logging';
import { durableClientInput } from '../../shared/composition/orchestrationClient';
import { handleHttp } from '../../shared/http/handleHttp';
import { jsonResponse } from '../../shared/http/jsonResponse';
import { failoverStatus } from '../../shared/services/failoverRequests';

/** GET /api/failovers/{instanceId}: the request, progress and (once finished) the result's timeline. */
export async function getFailover(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = invocationLogger(context, { function: 'getFailover', invocationId: context.invocationId });
  return handleHttp(logger, context.invocationId, async () => jsonResponse(200, await failoverStatus(failoverApiDeps(context, logger), request.params.instanceId ?? '')));
}

app.http('getFailover', { route: 'failovers/{instanceId}', methods: ['GET'], authLevel: 'function', extraInputs: [durableClientInput], handler: getFailover });
