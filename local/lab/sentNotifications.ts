import type { SmtpSink } from '../../test/support/smtpSink';
import type { WebhookSink } from '../../test/support/webhookSink';

/** What the lab's sinks received: the watchdog's notifications as a person would see them. */
export interface SentNotification {
  readonly channel: 'teams' | 'email';
  readonly to: string;
  readonly title: string;
}

export function sentNotifications(lab: { readonly teams: WebhookSink; readonly smtp: SmtpSink }): SentNotification[] {
  const teams = lab.teams.requests.map((r): SentNotification => {
    const inlines = [...r.rawBody.matchAll(/"text":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]!}"`) as string);
    return { channel: 'teams', to: r.path.split('?')[0]!, title: `${inlines[0] ?? ''}${inlines[1] ?? ''}` };
  });
  const mail = lab.smtp.messages.map((m): SentNotification => ({ channel: 'email', to: m.envelope.to.join(', '), title: m.subject }));
  return [...teams, ...mail];
}
