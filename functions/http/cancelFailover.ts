import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { failoverApiDeps, identityHeadersTrusted } from '../../shared/composition/failoverApi';
import { invocationLogger } from '../../shared/composition/logging';
import { durableClientInput } from '../../shared/composition/orchestrationClient';
import { callerIdentity } from '../../shared/http/callerIdentity';
import { handleHttp } from '../../shared/http/handleHttp';
import { jsonResponse } from '../../shared/http/jsonResponse';
import { readJsonBody } from '../../shared/http/readJsonBody';
import { statusPath } from '../../shared/services/failoverInstanceView';
import { assertFailoverId, cancelFailover as requestCancel } from '../../shared/services/failoverRequests';

const bodySchema = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();

/** POST /api/failovers/{instanceId}/cancel: stops a failover before its fence; refused (409) from the fence on. */
export async function cancelFailover(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = invocationLogger(context, { function: 'cancelFailover', invocationId: context.invocationId });
  return handleHttp(logger, context.invocationId, async () => {
    const deps = failoverApiDeps(context, logger);
    const instanceId = request.params.instanceId ?? '';
    assertFailoverId(deps.pairs, instanceId);
    const body = await readJsonBody(request, bodySchema);
    const caller = callerIdentity(request.headers, identityHeadersTrusted());
    const event = await requestCancel(deps, instanceId, { caller, reason: body.reason });
    return jsonResponse(202, { instanceId, event, statusUrl: statusPath(instanceId) });
  });
}

app.http('cancelFailover', { route: 'failovers/{instanceId}/cancel', methods: ['POST'], authLevel: 'function', extraInputs: [durableClientInput], handler: cancelFailover });
