import { createTransport } from 'nodemailer';
import { SmtpSink } from './smtpSink';

let sink: SmtpSink;
let authSink: SmtpSink;

beforeAll(async () => {
  [sink, authSink] = await Promise.all([SmtpSink.start(), SmtpSink.start({ auth: { user: 'watchdog', password: 'pa55-word' } })]);
});

afterEach(() => {
  sink.reset();
  authSink.reset();
});

afterAll(async () => {
  await Promise.all([sink.close(), authSink.close()]);
});

const client = (target: SmtpSink, auth?: { user: string; pass: string }) =>
  createTransport({ host: target.host, port: target.port, secure: false, ignoreTLS: true, ...(auth ? { auth } : {}) });

const mail = { from: 'watchdog@example.com', to: ['ops@example.com', 'dba@example.com'], subject: 'Hello', text: 'plain', html: '<p>rich</p>' };

describe('SmtpSink', () => {
  it('records an accepted message with its envelope, subject, text and html', async () => {
    await client(sink).sendMail(mail);

    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]).toMatchObject({
      envelope: { from: 'watchdog@example.com', to: ['ops@example.com', 'dba@example.com'] },
      to: ['ops@example.com', 'dba@example.com'],
      subject: 'Hello',
      text: 'plain',
      html: '<p>rich</p>',
    });
  });

  it('refuses a chosen recipient with 550 and delivers to the others', async () => {
    sink.refuseRecipient('dba@example.com');

    const info = await client(sink).sendMail(mail);

    expect(info.rejected).toEqual(['dba@example.com']);
    expect(sink.messages[0]?.envelope.to).toEqual(['ops@example.com']);
  });

  it('refuses every message at DATA with 554 and records none', async () => {
    sink.refuseMessages();

    await expect(client(sink).sendMail(mail)).rejects.toMatchObject({ responseCode: 554 });
    expect(sink.messages).toHaveLength(0);
  });

  it('accepts the configured login and records the user', async () => {
    await client(authSink, { user: 'watchdog', pass: 'pa55-word' }).sendMail(mail);

    expect(authSink.messages[0]?.user).toBe('watchdog');
  });

  it('refuses a wrong password with 535', async () => {
    await expect(client(authSink, { user: 'watchdog', pass: 'wrong' }).sendMail(mail)).rejects.toMatchObject({ responseCode: 535 });
    expect(authSink.messages).toHaveLength(0);
  });
});
