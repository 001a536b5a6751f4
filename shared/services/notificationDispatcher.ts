import type { Notification } from '../domain/notification';
import type { AlertChannel } from '../ports/alertChannel.port';
import type { Logger } from '../ports/logger.port';

/** Where a pair's notifications go: its own targets, and the defaults used when all of those fail. */
export interface ChannelDirectory {
  forPair(pairId: string): { readonly preferred: readonly AlertChannel[]; readonly fallback: readonly AlertChannel[] };
}

export interface ChannelOutcome {
  readonly channel: string;
  readonly ok: boolean;
  readonly error?: string;
}

export interface DeliveryReport {
  readonly delivered: boolean;
  readonly outcomes: readonly ChannelOutcome[];
}

/**
 * Sends to every preferred channel at once; a failed channel is logged and the others still
 * carry the message. Only when none of them took it are the fallback channels tried. The
 * caller keeps an undelivered message and tries again later.
 */
export async function dispatchNotification(n: Notification, directory: ChannelDirectory, logger: Logger): Promise<DeliveryReport> {
  const { preferred, fallback } = directory.forPair(n.pairId);
  const first = await sendAll(n, preferred, logger);
  if (first.some((o) => o.ok)) return { delivered: true, outcomes: first };
  // Channels are shared instances, so identity (not the label, which may repeat) says what was tried.
  const tried = new Set<AlertChannel>(preferred);
  const rest = fallback.filter((c) => !tried.has(c));
  if (rest.length > 0) logger.warn('no preferred channel took the notification; trying the fallback channels', { notification: n.id, fallback: rest.map((c) => c.label) });
  const second = await sendAll(n, rest, logger);
  const outcomes = [...first, ...second];
  return { delivered: second.some((o) => o.ok), outcomes };
}

async function sendAll(n: Notification, channels: readonly AlertChannel[], logger: Logger): Promise<ChannelOutcome[]> {
  const settled = await Promise.allSettled(channels.map((c) => c.send(n)));
  return settled.map((result, i) => {
    const channel = channels[i]!.label;
    if (result.status === 'fulfilled') return { channel, ok: true };
    const error = result.reason instanceof Error ? result.reason.message : String(result.reason);
    logger.error('notification channel failed', { channel, notification: n.id, error });
    return { channel, ok: false, error };
  });
}
