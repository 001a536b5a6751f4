import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { durableClientInput } from '../../shared/composition/orchestrationClient';
import { answerGate } from './approvalAnswer';

/** POST /api/failovers/{instanceId}/approve: lets a failover waiting at its gate go on. */
export function approveFailover(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return answerGate('approve', request, context);
}

app.http('approveFailover', { route: 'failovers/{instanceId}/approve', methods: ['POST'], authLevel: 'function', extraInputs: [durableClientInput], handler: approveFailover });
