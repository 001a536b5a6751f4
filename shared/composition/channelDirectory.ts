import type { ResolvedPair, WatchdogConfig } from '../config/loadConfig';
import type { AlertChannel } from '../ports/alertChannel.port';
import type { Logger } from '../ports/logger.port';
import type { ChannelDirectory } from '../services/notificationDispatcher';
import { SmtpEmailChannel } from '../adapters/notify/emailChannel';
import { TeamsWebhookChannel } from '../adapters/notify/teamsWebhookChannel';

/** Keeps one Teams send inside a monitor pass even when the webhook asks for long waits. */
const TEAMS_MAX_RETRY_DELAY_MS = 5_000;

/**
 * Builds one channel per target, once, and answers which channels serve a pair: the pair's own
 * targets when it names any (else the defaults), with the defaults as fallback.
 */
export function buildChannelDirectory(config: WatchdogConfig, logger: Logger): ChannelDirectory & { close(): void } {
  const teams = new Map<string, TeamsWebhookChannel>();
  const email = new Map<string, SmtpEmailChannel>();
  const teamsChannel = (url: string): AlertChannel => {
    let c = teams.get(url);
    if (!c) {
      c = new TeamsWebhookChannel({ url, timeoutMs: config.notify.teamsTimeoutMs, maxAttempts: config.notify.teamsMaxAttempts, maxRetryDelayMs: TEAMS_MAX_RETRY_DELAY_MS, logger });
      teams.set(url, c);
    }
    return c;
  };
  const emailChannel = (to: readonly string[]): AlertChannel[] => {
    const smtp = config.notify.smtp;
    if (!smtp || to.length === 0) return [];
    const key = [...to].sort().join(',');
    let c = email.get(key);
    if (!c) {
      c = new SmtpEmailChannel({ smtp, to, logger });
      email.set(key, c);
    }
    return [c];
  };
  const defaults = [...config.notify.defaultTeamsWebhookUrls.map(teamsChannel), ...emailChannel(config.notify.defaultEmail)];
  const byPair = new Map<string, { preferred: AlertChannel[]; fallback: AlertChannel[] }>();
  const routeOf = (pair: ResolvedPair): { preferred: AlertChannel[]; fallback: AlertChannel[] } => {
    const own = [...pair.teamsWebhookUrls.map(teamsChannel), ...emailChannel(pair.notify.email)];
    return own.length > 0 ? { preferred: own, fallback: defaults } : { preferred: defaults, fallback: [] };
  };
  for (const pair of config.pairs) byPair.set(pair.id, routeOf(pair));
  return {
    forPair: (pairId) => byPair.get(pairId) ?? { preferred: defaults, fallback: [] },
    close: () => {
      for (const c of email.values()) c.close();
    },
  };
}
