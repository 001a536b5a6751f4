import * as df from 'durable-functions';
import { z } from 'zod';
import { failoverDeps, type FailoverDeps } from '../../../shared/composition/failoverDeps';
import type { NotifyInput } from '../../../shared/contracts/failoverContract';
import { DeliveryError } from '../../../shared/domain/errors';
import type { Notification } from '../../../shared/domain/notification';
import { dispatchNotification } from '../../../shared/services/notificationDispatcher';
import { ACTIVITIES } from '../../names';
import { parseActivityInput } from './activityInput';
import { pairIdSchema } from './activitySchemas';

// Shape only: a message refused over its length would reach nobody; the channels fit it to their limits.
const notificationSchema = z.object({
  id: z.string().min(1),
  pairId: pairIdSchema,
  condition: z.string().min(1),
  severity: z.enum(['critical', 'warning', 'info', 'resolved']),
  title: z.string(),
  summary: z.string(),
  since: z.string(),
  createdAt: z.string(),
  facts: z.array(z.object({ name: z.string(), value: z.string() })),
  nextSteps: z.array(z.string()),
  link: z.string().optional(),
});

const notifyInputSchema = z.object({ notification: notificationSchema }).strict();

/**
 * Tells people through the pair's channels. When no channel (nor any fallback) took the message
 * it throws, so the orchestration's retry policy sends it again: a failover must reach a person.
 * The orchestrator knows no URLs: a link relative to the status routes becomes a full one here
 * (or is left out where WATCHDOG_STATUS_URL is not set, since nobody could open it).
 */
export function createNotifyActivity(deps: Pick<FailoverDeps, 'channels' | 'logger' | 'statusBaseUrl'>) {
  return async (input: NotifyInput, _context?: unknown): Promise<{ readonly delivered: boolean }> => {
    const notification = withFullLink(parseActivityInput(ACTIVITIES.notify, notifyInputSchema, input).notification, deps.statusBaseUrl);
    const report = await dispatchNotification(notification, deps.channels, deps.logger);
    if (!report.delivered) {
      // Channel errors are written to be shown (no webhook URL, no password): they say what to fix.
      const tried = report.outcomes.map((o) => `${o.channel}: ${o.error ?? 'failed'}`).join('; ');
      throw new DeliveryError(`No channel took notification ${notification.id} for pair ${notification.pairId}${tried ? ` (${tried})` : ' (the pair has no channel)'}`, {
        notification: notification.id.slice(0, 128),
        pair: notification.pairId,
        channels: report.outcomes.length,
      });
    }
    return { delivered: true };
  };
}

function withFullLink(n: Notification, statusBaseUrl: string | undefined): Notification {
  if (n.link === undefined || !n.link.startsWith('/')) return n;
  const { link, ...rest } = n;
  return statusBaseUrl === undefined ? rest : { ...rest, link: `${statusBaseUrl.replace(/\/+$/, '')}${link}` };
}

df.app.activity(ACTIVITIES.notify, {
  handler: (input: NotifyInput, context) => createNotifyActivity(failoverDeps(context))(input, context),
});
