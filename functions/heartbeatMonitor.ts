import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appServices } from '../shared/composition/appServices';
import { invocationLogger } from '../shared/composition/logging';
import { runHeartbeatPass } from '../shared/services/heartbeatMonitor';
import { summarizePass } from '../shared/services/runPairs';

/** Reads every pair's database heartbeat, records the assessment and tells people of changes. */
export async function heartbeatMonitor(timer: Timer, context: InvocationContext): Promise<void> {
  const services = appServices();
  const logger = invocationLogger(context, { function: 'heartbeatMonitor', invocationId: context.invocationId });
  if (timer.isPastDue) logger.warn('heartbeat check is running late (the timer was past due)');
  const outcomes = await runHeartbeatPass({ ...services.monitorDeps(logger), heartbeats: services.heartbeats });
  logger.info('heartbeat pass finished', summarizePass(outcomes, (r) => r.state));
}

app.timer('heartbeatMonitor', { schedule: '%HEARTBEAT_SCHEDULE%', handler: heartbeatMonitor });
