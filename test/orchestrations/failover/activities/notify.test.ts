import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import '../../../../orchestrations/failover/activities/notify';
import { createNotifyActivity } from '../../../../orchestrations/failover/activities/notify';
import { ACTIVITIES } from '../../../../orchestrations/names';
import { TeamsWebhookChannel } from '../../../../shared/adapters/notify/teamsWebhookChannel';
import { closeAppServices } from '../../../../shared/composition/appServices';
import { failoverDeps } from '../../../../shared/composition/failoverDeps';
import type { NotifyInput } from '../../../../shared/contracts/failoverContract';
import type { Notification } from '../../../../shared/domain/notification';
import { silentLogger } from '../../../../shared/ports/logger.port';
import { testStorage, type TestStorage } from '../../../support/azurite';
import { DurableHarness } from '../../../support/durableHarness';
import { pairInput } from '../../../support/pairs';
import { SmtpSink } from '../../../support/smtpSink';
import { WebhookSink } from '../../../support/webhookSink';

// The app's own channels (composition root, real Teams and SMTP adapters) against the sinks.

let storage: TestStorage;
let teams: WebhookSink;
let smtp: SmtpSink;
let savedEnv: NodeJS.ProcessEnv;
let logs: string[];

beforeAll(async () => {
  [storage, teams, smtp] = await Promise.all([testStorage(), WebhookSink.start(), SmtpSink.start()]);
  savedEnv = { ...process.env };
  Object.assign(process.env, {
    WatchdogStorage: storage.connectionString,
    WATCHDOG_STATE_CONTAINER: `state-${randomUUID()}`,
    // The pair's own target is email; the default Teams webhook is its fallback.
    WATCHDOG_PAIRS: JSON.stringify([pairInput({ notify: { teamsWebhookSettings: [], email: ['ops@example.com'] } })]),
    ERP_PRIMARY_SQL_PASSWORD: 'Test-Passw0rd',
    ERP_SECONDARY_SQL_PASSWORD: 'Test-Passw0rd',
    TEAMS_WEBHOOK_URL: teams.url,
    TEAMS_MAX_ATTEMPTS: '1',
    TEAMS_TIMEOUT_MS: '2000',
    ALERT_EMAIL_FROM: 'watchdog@example.com',
    SMTP_HOST: smtp.host,
    SMTP_PORT: String(smtp.port),
    SMTP_TLS: 'none',
    WATCHDOG_STATUS_URL: 'https://watchdog.example.com/',
  });
  await closeAppServices();
});

afterAll(async () => {
  await closeAppServices();
  process.env = savedEnv;
  await Promise.all([teams.close(), smtp.close(), storage.release()]);
});

beforeEach(() => {
  teams.reset();
  smtp.reset();
  logs = [];
});

function invocation(): InvocationContext {
  return new InvocationContext({ functionName: ACTIVITIES.notify, invocationId: randomUUID(), logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`) });
}

function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    id: `failover-erp/started/${randomUUID()}`,
    pairId: 'erp',
    condition: 'failover',
    severity: 'critical',
    title: 'Failover started',
    summary: 'An automatic failover of erp started at 03:00 UTC.',
    since: '2026-11-22T03:00:00.000Z',
    createdAt: '2026-11-22T03:00:00.000Z',
    facts: [{ name: 'Trigger', value: 'automatic' }],
    nextSteps: ['Watch the failover status.'],
    ...overrides,
  };
}

/** The Open URL actions of the adaptive card in a Teams webhook body. */
function cardActionUrls(body: unknown): string[] {
  const card = (body as { attachments: { content: { actions?: { url?: string }[] } }[] }).attachments[0]!.content;
  return (card.actions ?? []).map((a) => a.url ?? '');
}

const notify = (input: NotifyInput, context = invocation()) => createNotifyActivity(failoverDeps(context))(input, context);

describe('the notify activity', () => {
  it("delivers to the pair's own channel", async () => {
    const n = notification();

    expect(await notify({ notification: n })).toEqual({ delivered: true });

    expect(smtp.messages.map((m) => ({ to: m.envelope.to, subject: m.subject }))).toEqual([{ to: ['ops@example.com'], subject: expect.stringContaining('Failover started') }]);
    expect(teams.requests).toEqual([]);
  });

  it('falls back to the default channel when the pair\'s own channel refuses', async () => {
    smtp.refuseMessages();

    expect(await notify({ notification: notification() })).toEqual({ delivered: true });

    expect(teams.requests).toHaveLength(1);
    expect(JSON.stringify(teams.requests[0]!.body)).toContain('Failover started');
  });

  it('fails with DELIVERY_FAILED, naming the channels but not the webhook URL, when no channel takes it', async () => {
    smtp.refuseMessages();
    teams.respondAlways({ status: 400, body: 'bad card' });

    const error = await notify({ notification: notification() }).then(
      () => {
        throw new Error('expected a delivery failure');
      },
      (e: unknown) => e as Error & { code?: string; meta?: unknown },
    );

    expect(error).toMatchObject({ name: 'DeliveryError', code: 'DELIVERY_FAILED', message: expect.stringMatching(/email:.*teams:/s) });
    expect(JSON.stringify([error.message, error.meta, logs])).not.toContain(teams.signature);
  });

  it("turns the orchestrator's relative status link into one under WATCHDOG_STATUS_URL", async () => {
    smtp.refuseMessages();

    await notify({ notification: notification({ link: '/api/failovers/failover-erp' }) });

    expect(teams.requests).toHaveLength(1);
    expect(cardActionUrls(teams.requests[0]!.body)).toEqual(['https://watchdog.example.com/api/failovers/failover-erp']);
  });

  it('leaves a relative link out where no status URL is configured, and keeps a full one', async () => {
    const channels = { forPair: () => ({ preferred: [new TeamsWebhookChannel({ url: teams.url, timeoutMs: 2_000, maxAttempts: 1 })], fallback: [] }) };
    const bare = createNotifyActivity({ channels, logger: silentLogger });

    await bare({ notification: notification({ link: '/api/failovers/failover-erp' }) });
    await bare({ notification: notification({ link: 'https://status.example.com/erp' }) });

    expect(teams.requests.map((r) => cardActionUrls(r.body))).toEqual([[], ['https://status.example.com/erp']]);
  });

  it('refuses a notification that is not one, sending nothing', async () => {
    const bad = { notification: { ...notification(), severity: 'panic' } } as unknown as NotifyInput;

    await expect(notify(bad)).rejects.toMatchObject({ code: 'ACTIVITY_INPUT_INVALID', message: expect.stringContaining('notification.severity') });
    expect([smtp.messages.length, teams.requests.length]).toEqual([0, 0]);
  });

  describe('as registered, under a durable retry policy', () => {
    const probe = 'notifyRetryProbe';
    df.app.orchestration(probe, function* (context: OrchestrationContext) {
      const delivered: unknown = yield context.df.callActivityWithRetry(ACTIVITIES.notify, new df.RetryOptions(60_000, 3), context.df.getInput());
      return delivered;
    });

    it('is sent again after a failed attempt, until a channel takes it', async () => {
      smtp.refuseMessages();
      teams.respondWith([{ status: 400, body: 'try later' }]);
      const h = new DurableHarness();

      const id = await h.start(probe, { input: { notification: notification() } });
      expect((await h.status(id)).runtimeStatus).toBe('Running');
      await h.advance(61_000);

      expect(await h.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: { delivered: true } });
      expect(h.callsTo(ACTIVITIES.notify)).toHaveLength(2);
      expect(teams.requests).toHaveLength(2);
    });
  });
});
