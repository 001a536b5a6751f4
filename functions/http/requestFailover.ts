import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { failoverApiDeps, identityHeadersTrusted } from '../../shared/composition/failoverApi';
import { invocationLogger } from '../../shared/composition/logging';
import { durableClientInput } from '../../shared/composition/orchestrationClient';
import { callerIdentity } from '../../shared/http/callerIdentity';
import { handleHttp } from '../../shared/http/handleHttp';
import { jsonResponse } from '../../shared/http/jsonResponse';
import { readJsonBody } from '../../shared/http/readJsonBody';
import { RequestError } from '../../shared/http/requestError';
import { findPair } from '../../shared/services/failoverFacts';
import { statusPath } from '../../shared/services/failoverInstanceView';
import { requestFailover as startRequestedFailover } from '../../shared/services/failoverRequests';

const idempotencyKey = z.string().min(1).max(128);

const bodySchema = z
  .object({
    reason: z.string().trim().min(1).max(1000),
    dryRun: z.boolean().optional(),
    idempotencyKey: idempotencyKey.optional(),
  })
  .strict();

/**
 * POST /api/pairs/{id}/failover: a person asks for a failover, or (dryRun) for the plan of one.
 * 202 when it starts; 200 with the existing instance when one runs or the key already started one.
 */
export async function requestFailover(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = invocationLogger(context, { function: 'requestFailover', invocationId: context.invocationId });
  return handleHttp(logger, context.invocationId, async () => {
    const deps = failoverApiDeps(context, logger);
    const pair = findPair(deps.pairs, request.params.id ?? '');
    const body = await readJsonBody(request, bodySchema);
    const key = keyOf(body.idempotencyKey, request.headers.get('idempotency-key'));
    const caller = callerIdentity(request.headers, identityHeadersTrusted());
    const outcome = await startRequestedFailover(deps, pair.id, { reason: body.reason, caller, dryRun: body.dryRun ?? false, ...(key !== undefined ? { idempotencyKey: key } : {}) });
    switch (outcome.kind) {
      case 'dry-run':
        return jsonResponse(200, { dryRun: true, plan: outcome.plan, ...(outcome.running ? { running: outcome.running } : {}) });
      case 'started': {
        const statusUrl = statusPath(outcome.instanceId);
        return jsonResponse(202, { instanceId: outcome.instanceId, statusUrl, alreadyRunning: false, requestedBy: caller.name }, { Location: statusUrl });
      }
      case 'existing':
        return jsonResponse(200, {
          instanceId: outcome.instanceId,
          statusUrl: statusPath(outcome.instanceId),
          runtimeStatus: outcome.runtimeStatus,
          alreadyRunning: outcome.alreadyRunning,
          sameRequest: outcome.sameRequest,
        });
    }
  });
}

/** The key may come in the body or as the conventional `Idempotency-Key` header; both must agree. */
function keyOf(inBody: string | undefined, header: string | null): string | undefined {
  if (header === null) return inBody;
  const parsed = idempotencyKey.safeParse(header.trim());
  if (!parsed.success) throw new RequestError('INVALID_REQUEST', 'The Idempotency-Key header is not valid', ['Idempotency-Key: must be 1 to 128 characters']);
  if (inBody !== undefined && inBody !== parsed.data) {
    throw new RequestError('INVALID_REQUEST', 'The idempotency key is given twice, differently', ['idempotencyKey: differs from the Idempotency-Key header']);
  }
  return parsed.data;
}

app.http('requestFailover', { route: 'pairs/{id}/failover', methods: ['POST'], authLevel: 'function', extraInputs: [durableClientInput], handler: requestFailover });
