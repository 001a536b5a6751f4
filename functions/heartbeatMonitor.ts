import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appServices } from '../shared/composition/appServices';
import { invocationLogger } from '../shared/composition/logging';
import { durableClientInput, orchestrationClientFor } from '../shared/composition/orchestrationClient';
import { runHeartbeatPass, summarizeTriggers } from '../shared/services/heartbeatPass';
import { summarizePass } from '../shared/services/runPairs';

/**
 * Reads every pair's database heartbeat, records the assessment, tells people of changes, and
 * acts on the failover decision: starts the failover orchestration or restarts the Primary's
 * service in place.
 */
export async function heartbeatMonitor(timer: Timer, context: InvocationContext): Promise<void> {
  const services = appServices();
  const logger = invocationLogger(context, { function: 'heartbeatMonitor', invocationId: context.invocationId });
  if (timer.isPastDue) logger.warn('heartbeat check is running late (the timer was past due)');
  const outcomes = await runHeartbeatPass({ ...services.monitorDeps(logger), heartbeats: services.heartbeats, orchestrations: () => orchestrationClientFor(context) });
  logger.info('heartbeat pass finished', { ...summarizePass(outcomes, (r) => r.state), ...summarizeTriggers(outcomes) });
}

app.timer('heartbeatMonitor', { schedule: '%HEARTBEAT_SCHEDULE%', extraInputs: [durableClientInput], handler: heartbeatMonitor });
