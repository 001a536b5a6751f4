import type { Notification } from '../domain/notification';

export type ChannelKind = 'teams' | 'email';

/**
 * One delivery target (a Teams workflow webhook, or an email recipient list). `send` resolves
 * when the target accepted the message and rejects with a DeliveryError otherwise; retries of
 * transient failures happen inside the channel.
 */
export interface AlertChannel {
  readonly kind: ChannelKind;
  /** Safe to log: never contains a webhook URL or a password. */
  readonly label: string;
  send(notification: Notification): Promise<void>;
}
