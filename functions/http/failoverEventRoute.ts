import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { failoverApiDeps, identityHeadersTrusted, type FailoverApiDeps } from '../../shared/composition/failoverApi';
import { invocationLogger } from '../../shared/composition/logging';
import type { Caller } from '../../shared/domain/caller';
import { callerIdentity } from '../../shared/http/callerIdentity';
import { handleHttp } from '../../shared/http/handleHttp';
import { jsonResponse } from '../../shared/http/jsonResponse';
import { readJsonBody } from '../../shared/http/readJsonBody';
import { statusPath } from '../../shared/services/failoverInstanceView';
import { assertFailoverId } from '../../shared/services/failoverRequests';

/**
 * A POST that carries a person's word to a running failover (approve, reject, cancel): the
 * instance id checked against the configured pairs, the JSON body read against `bodySchema`, the
 * caller named; answers 202 with the event raised and the status path. Errors map as every route's.
 */
export function failoverEventRoute<S extends z.ZodType>(
  functionName: string,
  bodySchema: S,
  raise: (deps: FailoverApiDeps, instanceId: string, body: z.infer<S>, caller: Caller) => Promise<unknown>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return (request, context) => {
    const logger = invocationLogger(context, { function: functionName, invocationId: context.invocationId });
    return handleHttp(logger, context.invocationId, async () => {
      const deps = failoverApiDeps(context, logger);
      const instanceId = request.params.instanceId ?? '';
      assertFailoverId(deps.pairs, instanceId);
      const body = await readJsonBody(request, bodySchema);
      const caller = callerIdentity(request.headers, identityHeadersTrusted());
      const event = await raise(deps, instanceId, body, caller);
      return jsonResponse(202, { instanceId, event, statusUrl: statusPath(instanceId) });
    });
  };
}
