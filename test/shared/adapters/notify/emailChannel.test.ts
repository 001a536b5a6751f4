import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { SmtpEmailChannel, type SmtpEmailChannelOptions } from '../../../../shared/adapters/notify/emailChannel';
import type { SmtpConfig } from '../../../../shared/config/loadConfig';
import { DeliveryError } from '../../../../shared/domain/errors';
import type { Notification } from '../../../../shared/domain/notification';
import { SmtpSink } from '../../../support/smtpSink';

const alert: Notification = {
  id: 'erp:heartbeat:stale:2026-11-22T01:58:00Z',
  pairId: 'erp',
  condition: 'heartbeat',
  severity: 'critical',
  title: 'Primary heartbeat stale',
  summary: 'The Primary last wrote its heartbeat 7 minutes ago.',
  since: '2026-11-22T01:51:00Z',
  createdAt: '2026-11-22T01:58:00Z',
  facts: [
    { name: 'Owner', value: 'ERP-SCHED-01' },
    { name: 'Last job', value: '<script>alert("x")</script> & more' },
  ],
  nextSteps: ['Check that ERP-SCHED-01 is up.', 'Approve the failover if it is down.'],
  link: 'https://watchdog.example.com/api/status/erp',
};

const USER = 'watchdog';
const PASSWORD = 'Corr3ct-Horse-Battery';

let sink: SmtpSink;
let authSink: SmtpSink;
const channels: SmtpEmailChannel[] = [];

beforeAll(async () => {
  [sink, authSink] = await Promise.all([SmtpSink.start(), SmtpSink.start({ auth: { user: USER, password: PASSWORD } })]);
});

afterEach(() => {
  sink.reset();
  authSink.reset();
  channels.splice(0).forEach((c) => c.close());
});

afterAll(async () => {
  await Promise.all([sink.close(), authSink.close()]);
});

function channel(smtp: Partial<SmtpConfig> = {}, options: Partial<SmtpEmailChannelOptions> = {}): SmtpEmailChannel {
  const created = new SmtpEmailChannel({
    smtp: { host: sink.host, port: sink.port, tls: 'none', from: 'Watchdog <watchdog@example.com>', ...smtp },
    to: ['ops@example.com', 'dba@example.com'],
    timeoutMs: 2_000,
    ...options,
  });
  channels.push(created);
  return created;
}

async function failureOf(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('SmtpEmailChannel', () => {
  it('delivers the alert with subject, text and html to every recipient', async () => {
    await channel().send(alert);

    expect(sink.messages).toHaveLength(1);
    const [mail] = sink.messages;
    expect(mail?.envelope).toEqual({ from: 'watchdog@example.com', to: ['ops@example.com', 'dba@example.com'] });
    expect(mail?.subject).toBe('[CRITICAL] erp: Primary heartbeat stale');
    expect(mail?.text).toContain('The Primary last wrote its heartbeat 7 minutes ago.');
    expect(mail?.text).toContain('1. Check that ERP-SCHED-01 is up.');
    expect(mail?.html).toContain('<li>Approve the failover if it is down.</li>');
    expect(mail?.html).toContain('<a href="https://watchdog.example.com/api/status/erp">');
  });

  it('escapes values in the html part so a database value cannot add markup', async () => {
    await channel().send(alert);

    const html = sink.messages[0]?.html ?? '';
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; more');
  });

  it('marks a critical alert as high priority and a resolved one as normal', async () => {
    await channel().send(alert);
    await channel().send({ ...alert, severity: 'resolved' });

    expect(sink.messages.map((m) => m.priority)).toEqual(['high', 'normal']);
  });

  it('reuses one channel for several alerts', async () => {
    const email = channel();

    await email.send(alert);
    await email.send({ ...alert, title: 'Second' });

    expect(sink.messages.map((m) => m.subject)).toEqual(['[CRITICAL] erp: Primary heartbeat stale', '[CRITICAL] erp: Second']);
  });

  it('fails with a DeliveryError carrying 550 when the relay refuses every recipient', async () => {
    sink.refuseRecipient('ops@example.com').refuseRecipient('dba@example.com');

    const error = await failureOf(channel().send(alert));

    expect(error.meta).toMatchObject({ smtpCode: 550, errorCode: 'EENVELOPE' });
    expect(error.message).toContain('SMTP 550');
    expect(sink.messages).toHaveLength(0);
  });

  it('fails with a DeliveryError naming the refused recipient when only some are refused', async () => {
    sink.refuseRecipient('dba@example.com', 553);

    const error = await failureOf(channel().send(alert));

    expect(error.message).toContain('refused 1 of 2 recipients (dba@example.com): SMTP 553');
    expect(error.meta).toMatchObject({ smtpCode: 553, partial: true, accepted: 1, rejected: 1 });
    expect(sink.messages[0]?.envelope.to).toEqual(['ops@example.com']);
  });

  it('fails with a DeliveryError carrying 554 when the relay refuses the message', async () => {
    sink.refuseMessages(554);

    const error = await failureOf(channel().send(alert));

    expect(error.meta).toMatchObject({ smtpCode: 554, errorCode: 'EMESSAGE', permanent: true });
    expect(error.message).toContain('refused the message (SMTP 554)');
  });

  it('logs in when a user is configured', async () => {
    await channel({ port: authSink.port, user: USER, password: PASSWORD }).send(alert);

    expect(authSink.messages).toHaveLength(1);
    expect(authSink.messages[0]?.user).toBe(USER);
  });

  it('fails with a DeliveryError that never shows the password when the login is refused', async () => {
    const wrong = 'Wr0ng-Horse-Battery';

    const error = await failureOf(channel({ port: authSink.port, user: USER, password: wrong }).send(alert));

    expect(error.meta).toMatchObject({ smtpCode: 535, errorCode: 'EAUTH' });
    const shown = inspect(error, { depth: 10 });
    expect(shown).not.toContain(wrong);
    expect(shown).not.toContain(Buffer.from(`\u0000${USER}\u0000${wrong}`).toString('base64'));
  });

  it('fails with a DeliveryError when nothing listens at the relay address', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));

    const error = await failureOf(channel({ port }).send(alert));

    expect(error.message).toContain('could not be reached');
    expect(error.meta['channel']).toBe(`email:2@${sink.host}`);
  });

  it('fails with a DeliveryError within the timeout when the relay never greets', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    const port = await listen(silent);

    try {
      const error = await failureOf(channel({ port }, { timeoutMs: 150 }).send(alert));

      expect(error.meta).toMatchObject({ errorCode: 'ETIMEDOUT' });
      expect(error.message).toContain('timed out');
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it.each<[SmtpConfig['tls'], string]>([
    ['starttls', 'the relay offers no STARTTLS'],
    ['implicit', 'the relay speaks no TLS'],
  ])('never falls back to clear text when tls is %s and %s', async (tls) => {
    // The relay would take this login in clear text: only the TLS setting stops the send.
    const error = await failureOf(channel({ tls, port: authSink.port, user: USER, password: PASSWORD }).send(alert));

    expect(error.message).toContain('could not set up TLS');
    expect(authSink.messages).toHaveLength(0);
    expect(inspect(error, { depth: 10 })).not.toContain(PASSWORD);
  });

  it('labels itself with the number of recipients and the relay host, not the addresses', () => {
    expect(channel({ user: USER, password: PASSWORD }).label).toBe('email:2@127.0.0.1');
  });

  it('refuses to be built without recipients', () => {
    expect(() => channel({}, { to: [] })).toThrow(RangeError);
  });
});
