import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { durableClientInput } from '../../shared/composition/orchestrationClient';
import { answerGate } from './approvalAnswer';

/** POST /api/failovers/{instanceId}/reject: ends a failover waiting at its gate (aborted, nothing fenced). */
export function rejectFailover(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return answerGate('reject', request, context);
}

app.http('rejectFailover', { route: 'failovers/{instanceId}/reject', methods: ['POST'], authLevel: 'function', extraInputs: [durableClientInput], handler: rejectFailover });
