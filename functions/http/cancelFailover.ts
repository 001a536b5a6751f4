import { app } from '@azure/functions';
import { z } from 'zod';
import { durableClientInput } from '../../shared/composition/orchestrationClient';
import { cancelFailover as requestCancel } from '../../shared/services/failoverRequests';
import { failoverEventRoute } from './failoverEventRoute';

const bodySchema = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();

/** POST /api/failovers/{instanceId}/cancel: stops a failover before its fence; refused (409) from the fence on. */
export const cancelFailover = failoverEventRoute('cancelFailover', bodySchema, (deps, instanceId, body, caller) => requestCancel(deps, instanceId, { caller, reason: body.reason }));

app.http('cancelFailover', { route: 'failovers/{instanceId}/cancel', methods: ['POST'], authLevel: 'function', extraInputs: [durableClientInput], handler: cancelFailover });
