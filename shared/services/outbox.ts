import type { Notification } from '../domain/notification';
import type { Logger } from '../ports/logger.port';
import type { StateStore } from '../ports/stateStore.port';
import { dispatchNotification, type ChannelDirectory } from './notificationDispatcher';
import { updateRecord } from './updateRecord';

/**
 * A notification is first written into the pair's state record (with the state change that
 * caused it) and only then sent. One that no channel took stays there and is sent again on
 * the next check, so an alert survives a crash, a restart or an outage of every channel.
 */
export interface PendingNotification {
  readonly notification: Notification;
  readonly attempts: number;
  readonly lastError?: string;
}

export interface WithOutbox {
  readonly outbox: readonly PendingNotification[];
}

/** Beyond this many undelivered messages the oldest are dropped (and that is logged as an error). */
export const OUTBOX_LIMIT = 50;

export function enqueue(outbox: readonly PendingNotification[], n: Notification | undefined, logger: Logger): PendingNotification[] {
  const next = n && !outbox.some((p) => p.notification.id === n.id) ? [...outbox, { notification: n, attempts: 0 }] : [...outbox];
  const overflow = next.length - OUTBOX_LIMIT;
  if (overflow > 0) {
    for (const dropped of next.slice(0, overflow)) {
      logger.error('undelivered notification dropped: the outbox is full', { notification: dropped.notification.id, attempts: dropped.attempts });
    }
    return next.slice(overflow);
  }
  return next;
}

/** Sends what the record holds, then removes what was delivered. Returns how many were delivered. */
export async function flushOutbox<T extends WithOutbox>(
  store: StateStore,
  key: string,
  pending: readonly PendingNotification[],
  directory: ChannelDirectory,
  logger: Logger,
): Promise<number> {
  if (pending.length === 0) return 0;
  const delivered = new Set<string>();
  const failed = new Map<string, string>();
  for (const p of pending) {
    const report = await dispatchNotification(p.notification, directory, logger);
    if (report.delivered) delivered.add(p.notification.id);
    else failed.set(p.notification.id, report.outcomes.map((o) => `${o.channel}: ${o.error ?? 'ok'}`).join('; ') || 'no channel configured');
  }
  await updateRecord<T>(store, key, (current) => {
    if (!current) return undefined;
    const outbox = current.outbox
      .filter((p) => !delivered.has(p.notification.id))
      .map((p) => {
        const error = failed.get(p.notification.id);
        return error === undefined ? p : { ...p, attempts: p.attempts + 1, lastError: error };
      });
    return { ...current, outbox };
  });
  for (const [id, error] of failed) logger.error('notification not delivered on any channel; it will be retried on the next check', { notification: id, error });
  return delivered.size;
}
