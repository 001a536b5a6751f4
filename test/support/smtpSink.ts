import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

export interface ReceivedMail {
  /** The SMTP envelope, which is what the relay actually delivers to. */
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  /** The From header as text. */
  readonly from: string;
  /** Addresses in the To header. */
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** The HTML part, or '' when there is none. */
  readonly html: string;
  readonly priority: 'normal' | 'low' | 'high';
  readonly headers: ParsedMail['headers'];
  /** The user the client logged in as, when it did. */
  readonly user?: string;
}

export interface SmtpSinkOptions {
  /** When set, clients must log in with exactly these credentials. */
  readonly auth?: { readonly user: string; readonly password: string };
  /** 0 (the default) picks a free port. */
  readonly port?: number;
}

/**
 * A stand-in SMTP relay: a real smtp-server on 127.0.0.1 without TLS that parses and records
 * each accepted message, and can be told to refuse recipients or whole messages.
 */
export class SmtpSink {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly messages: ReceivedMail[];
  readonly #server: SMTPServer;
  readonly #rules: Rules;

  private constructor(server: SMTPServer, rules: Rules, messages: ReceivedMail[]) {
    this.#server = server;
    this.#rules = rules;
    this.messages = messages;
    this.port = (server.server.address() as AddressInfo).port;
  }

  static async start(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
    const rules: Rules = { refusedRecipients: new Map(), messageRefusal: undefined };
    const messages: ReceivedMail[] = [];
    const { auth } = options;
    const server = new SMTPServer({
      logger: false,
      secure: false,
      disabledCommands: auth === undefined ? ['STARTTLS', 'AUTH'] : ['STARTTLS'],
      authOptional: auth === undefined,
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      closeTimeout: 100,
      // A reverse DNS lookup of 127.0.0.1 on every connection only slows tests down.
      disableReverseLookup: true,
      onAuth(credentials, _session, callback) {
        if (auth !== undefined && credentials.username === auth.user && credentials.password === auth.password) {
          callback(null, { user: credentials.username });
        } else {
          callback(smtpError(535, 'Authentication credentials invalid'));
        }
      },
      onRcptTo(address, _session, callback) {
        const code = rules.refusedRecipients.get(address.address.toLowerCase());
        callback(code === undefined ? null : smtpError(code, `<${address.address}>: Recipient address rejected`));
      },
      onData(stream, session, callback) {
        simpleParser(stream).then(
          (mail) => {
            // The whole message has been read by now, as smtp-server requires before answering.
            const code = rules.messageRefusal;
            if (code !== undefined) return callback(smtpError(code, 'Message refused by policy'));
            messages.push(toReceived(mail, session.envelope, session.user));
            callback(null);
          },
          (error: unknown) => callback(smtpError(451, `Could not parse the message: ${String(error)}`)),
        );
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return new SmtpSink(server, rules, messages);
  }

  /** RCPT TO for this address is answered with `code` (550 unless given). */
  refuseRecipient(address: string, code = 550): this {
    this.#rules.refusedRecipients.set(address.toLowerCase(), code);
    return this;
  }

  /** Every message is refused after DATA with `code` (554 unless given). */
  refuseMessages(code = 554): this {
    this.#rules.messageRefusal = code;
    return this;
  }

  /** Accepts everything again and forgets recorded messages. */
  reset(): void {
    this.messages.length = 0;
    this.#rules.refusedRecipients.clear();
    this.#rules.messageRefusal = undefined;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

interface Rules {
  readonly refusedRecipients: Map<string, number>;
  messageRefusal: number | undefined;
}

function smtpError(code: number, message: string): SMTPServerError {
  return Object.assign(new Error(message), { responseCode: code });
}

function priorityOf(value: unknown): ReceivedMail['priority'] {
  return value === 'high' || value === 'low' ? value : 'normal';
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => v.address ?? '')).filter((a) => a !== '');
}

function toReceived(mail: ParsedMail, envelope: { mailFrom: { address: string } | false; rcptTo: { address: string }[] }, user: unknown): ReceivedMail {
  return {
    envelope: { from: envelope.mailFrom === false ? '' : envelope.mailFrom.address, to: envelope.rcptTo.map((r) => r.address) },
    from: mail.from?.text ?? '',
    to: addresses(mail.to),
    subject: mail.subject ?? '',
    text: mail.text ?? '',
    html: mail.html === false ? '' : mail.html,
    // mailparser files X-Priority, Importance and the like under one 'priority' header.
    priority: priorityOf(mail.headers.get('priority')),
    headers: mail.headers,
    ...(typeof user === 'string' ? { user } : {}),
  };
}
