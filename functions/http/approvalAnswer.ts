import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import type { ApprovalEvent } from '../../shared/contracts/failoverContract';
import { failoverApiDeps, identityHeadersTrusted } from '../../shared/composition/failoverApi';
import { invocationLogger } from '../../shared/composition/logging';
import { callerIdentity } from '../../shared/http/callerIdentity';
import { handleHttp } from '../../shared/http/handleHttp';
import { jsonResponse } from '../../shared/http/jsonResponse';
import { readJsonBody } from '../../shared/http/readJsonBody';
import { statusPath } from '../../shared/services/failoverInstanceView';
import { assertFailoverId, answerApproval } from '../../shared/services/failoverRequests';

const bodySchema = z.object({ comment: z.string().trim().min(1).max(1000).optional() }).strict();

/** The approve and reject routes differ only in the answer they carry to the gate. */
export async function answerGate(decision: ApprovalEvent['decision'], request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = invocationLogger(context, { function: `${decision}Failover`, invocationId: context.invocationId });
  return handleHttp(logger, context.invocationId, async () => {
    const deps = failoverApiDeps(context, logger);
    const instanceId = request.params.instanceId ?? '';
    assertFailoverId(deps.pairs, instanceId);
    const body = await readJsonBody(request, bodySchema);
    const caller = callerIdentity(request.headers, identityHeadersTrusted());
    const event = await answerApproval(deps, instanceId, { decision, caller, ...(body.comment !== undefined ? { comment: body.comment } : {}) });
    return jsonResponse(202, { instanceId, event, statusUrl: statusPath(instanceId) });
  });
}
