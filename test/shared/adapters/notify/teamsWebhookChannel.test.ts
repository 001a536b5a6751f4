import { inspect } from 'node:util';
import { parseRetryAfter, TeamsWebhookChannel, type TeamsWebhookOptions } from '../../../../shared/adapters/notify/teamsWebhookChannel';
import { DeliveryError } from '../../../../shared/domain/errors';
import type { Notification } from '../../../../shared/domain/notification';
import type { Logger } from '../../../../shared/ports/logger.port';
import { WebhookSink } from '../../../support/webhookSink';
import { closedPort } from '../../../support/closedPort';

const alert: Notification = {
  id: 'erp:heartbeat:stale:2026-11-22T01:58:00Z',
  pairId: 'erp',
  condition: 'heartbeat',
  severity: 'critical',
  title: 'Primary heartbeat stale',
  summary: 'The Primary last wrote its heartbeat 7 minutes ago.',
  since: '2026-11-22T01:51:00Z',
  createdAt: '2026-11-22T01:58:00Z',
  facts: [{ name: 'Owner', value: 'ERP-SCHED-01' }],
  nextSteps: ['Check that ERP-SCHED-01 is up.'],
};

interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const record = (level: LogLine['level']) => (message: string, fields?: Readonly<Record<string, unknown>>) => {
    lines.push({ level, message, ...(fields ? { fields } : {}) });
  };
  return { lines, logger: { info: record('info'), warn: record('warn'), error: record('error') } };
}

let sink: WebhookSink;
let log: ReturnType<typeof recordingLogger>;

beforeAll(async () => {
  sink = await WebhookSink.start();
});

beforeEach(() => {
  sink.reset();
  log = recordingLogger();
});

afterAll(async () => {
  await sink.close();
});

const channel = (options: Partial<TeamsWebhookOptions> = {}): TeamsWebhookChannel =>
  new TeamsWebhookChannel({ url: sink.url, timeoutMs: 2_000, maxAttempts: 3, maxRetryDelayMs: 20, logger: log.logger, ...options });

async function failureOf(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}


describe('TeamsWebhookChannel', () => {
  it('delivers with a single POST of the card when the webhook answers 202', async () => {
    await channel().send(alert);

    expect(sink.requests).toHaveLength(1);
    const [request] = sink.requests;
    expect(request?.method).toBe('POST');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toMatchObject({ type: 'message', attachments: [{ content: { type: 'AdaptiveCard', version: '1.4' } }] });
  });

  it('counts a 200 answer as delivered', async () => {
    sink.respondWith([{ status: 200, body: '1' }]);

    await channel().send(alert);

    expect(sink.requests).toHaveLength(1);
  });

  it('retries after a 429 with Retry-After and succeeds with the second request', async () => {
    sink.respondWith([{ status: 429, headers: { 'Retry-After': '1' } }, { status: 202 }]);

    await channel().send(alert);

    expect(sink.requests).toHaveLength(2);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.fields)).toEqual([
      expect.objectContaining({ attempt: 1, status: 429, retryAfterMs: 1_000, delayMs: 20 }),
    ]);
  });

  it('waits no longer than Retry-After asks when that is under the cap', async () => {
    sink.respondWith([{ status: 503, headers: { 'Retry-After': '0' } }]);

    await channel({ maxRetryDelayMs: 60_000 }).send(alert);

    expect(log.lines.find((l) => l.level === 'warn')?.fields).toMatchObject({ retryAfterMs: 0, delayMs: 0 });
  });

  it('retries two 500 answers and succeeds with the third request', async () => {
    sink.respondWith([{ status: 500 }, { status: 500 }, { status: 202 }]);

    await channel().send(alert);

    expect(sink.requests).toHaveLength(3);
    expect(log.lines.at(-1)).toMatchObject({ level: 'info', fields: { attempts: 3 } });
  });

  it.each([408, 502, 503, 504])('treats HTTP %i as transient and retries', async (status) => {
    sink.respondWith([{ status }]);

    await channel().send(alert);

    expect(sink.requests).toHaveLength(2);
  });

  it('gives up after maxAttempts when the webhook keeps failing, naming the last status', async () => {
    sink.respondAlways({ status: 503 });

    const error = await failureOf(channel({ maxAttempts: 3 }).send(alert));

    expect(sink.requests).toHaveLength(3);
    expect(error.message).toContain('after 3 attempts (last: HTTP 503)');
    expect(error.meta).toMatchObject({ status: 503, attempts: 3, retryable: true });
  });

  it('fails at once on a 400 with a DeliveryError naming the status and the start of the answer', async () => {
    sink.respondWith([{ status: 400, body: '{"error":{"code":"InvalidRequestContent","message":"The input body for trigger is not valid"}}' }]);

    const error = await failureOf(channel().send(alert));

    expect(sink.requests).toHaveLength(1);
    expect(error.message).toContain('HTTP 400');
    expect(error.message).toContain('InvalidRequestContent');
    expect(error.meta).toMatchObject({ status: 400, attempts: 1, retryable: false });
  });

  it.each([401, 403, 404, 413])('does not retry HTTP %i', async (status) => {
    sink.respondWith([{ status }]);

    const error = await failureOf(channel().send(alert));

    expect(sink.requests).toHaveLength(1);
    expect(error.meta['status']).toBe(status);
  });

  it('fails a hanging webhook after the per-attempt timeout and maxAttempts', async () => {
    sink.respondAlways('hang');

    const error = await failureOf(channel({ timeoutMs: 100, maxAttempts: 2 }).send(alert));

    expect(sink.requests).toHaveLength(2);
    expect(error.message).toContain('timed out after 100 ms');
    expect(error.meta).toMatchObject({ attempts: 2, retryable: true });
  });

  it('retries a refused connection and reports it as a network error', async () => {
    const port = await closedPort();

    const error = await failureOf(channel({ url: `http://127.0.0.1:${port}/workflows/x?sig=abcdefghijkl`, maxAttempts: 2 }).send(alert));

    expect(error.message).toContain('network error (ECONNREFUSED)');
    expect(error.meta['attempts']).toBe(2);
  });

  it('labels itself with the host and a fingerprint of the URL', () => {
    const label = channel().label;

    expect(label).toMatch(/^teams:127\.0\.0\.1#[0-9a-f]{6}$/);
    expect(channel({ url: `${sink.url}x` }).label).not.toBe(label);
  });

  it('never lets the URL or its signature reach the label, errors or log lines, even when the answer echoes them', async () => {
    sink.respondWith([{ status: 500 }, { status: 403, body: `Forbidden: ${sink.url} (sig=${sink.signature})` }]);
    const teams = channel();

    const error = await failureOf(teams.send(alert));

    expect(error.message).toContain('[redacted]');
    const everything = [teams.label, inspect(teams, { showHidden: true }), error.message, inspect(error, { depth: 10 }), JSON.stringify(log.lines)].join('\n');
    expect(everything).not.toContain(sink.signature);
    expect(everything).not.toContain('/workflows/');
  });

  it.each(['ftp://example.com/secret-sig', 'not a url secret-sig'])('refuses the URL %j without quoting it', (url) => {
    let thrown: unknown;
    try {
      channel({ url });
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toMatchObject({ code: 'TEAMS_WEBHOOK_URL_INVALID' });
    expect(inspect(thrown)).not.toContain('secret-sig');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T02:00:00Z');

  it.each<[string, number]>([
    ['0', 0],
    ['7', 7_000],
    [' 120 ', 120_000],
    ['Sun, 22 Nov 2026 02:00:30 GMT', 30_000],
    ['Sun, 22 Nov 2026 01:59:00 GMT', 0],
  ])('reads %j as %i ms', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });

  it.each(['1.5', '-3', 'soon', '2026-11-22T02:00:30Z', '', null])('ignores %j, so backoff applies', (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });
});
