import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import type { ApprovalEvent } from '../../shared/contracts/failoverContract';
import { answerApproval } from '../../shared/services/failoverRequests';
import { failoverEventRoute } from './failoverEventRoute';

const bodySchema = z.object({ comment: z.string().trim().min(1).max(1000).optional() }).strict();

/** The approve and reject routes differ only in the answer they carry to the gate. */
export function answerGate(decision: ApprovalEvent['decision'], request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return failoverEventRoute(`${decision}Failover`, bodySchema, (deps, instanceId, body, caller) =>
    answerApproval(deps, instanceId, { decision, caller, ...(body.comment !== undefined ? { comment: body.comment } : {}) }),
  )(request, context);
}
