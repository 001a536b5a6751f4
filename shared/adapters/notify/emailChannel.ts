import { createTransport } from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';
import type Mail from 'nodemailer/lib/mailer';
import type { SMTPSentMessageInfo, SMTPTransportOptions } from 'nodemailer/lib/smtp-transport';
import type { SmtpConfig } from '../../config/loadConfig';
import { DeliveryError } from '../../domain/errors';
import type { Notification } from '../../domain/notification';
import type { AlertChannel } from '../../ports/alertChannel.port';
import { silentLogger, type Logger } from '../../ports/logger.port';
import { toEmail } from './emailMessage';

export interface SmtpEmailChannelOptions {
  readonly smtp: SmtpConfig;
  readonly to: readonly string[];
  /**
   * Bound on connecting, the greeting and any silence on the socket. nodemailer's defaults
   * (2 min, 30 s, 10 min) would hold a timer run far past its next schedule.
   */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const RESPONSE_CHARS = 200;

/** Sends alerts through an SMTP relay (on-premises relays; Exchange Online basic auth is going away). */
export class SmtpEmailChannel implements AlertChannel {
  readonly kind = 'email' as const;
  readonly label: string;
  readonly #transport: Mail<SMTPSentMessageInfo, SMTPTransportOptions>;
  readonly #host: string;
  readonly #from: string;
  readonly #to: readonly string[];
  readonly #password: string | undefined;
  readonly #logger: Logger;

  constructor(options: SmtpEmailChannelOptions) {
    if (options.to.length === 0) throw new RangeError('an email channel needs at least one recipient');
    const { smtp } = options;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#host = smtp.host;
    this.#from = smtp.from;
    this.#to = [...options.to];
    this.#password = smtp.password;
    this.#logger = options.logger ?? silentLogger;
    this.label = `email:${options.to.length}@${smtp.host}`;
    // Not pooled: alerts are rare, and an idle pooled connection is one the relay has
    // usually dropped by the time the next alert comes. One transport still serves every send.
    this.#transport = createTransport({
      host: smtp.host,
      port: smtp.port,
      ...tlsOptions(smtp),
      ...(smtp.user === undefined ? {} : { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      dnsTimeout: timeoutMs,
      // Messages are built here from text only; nothing may pull in files or URLs.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(notification: Notification): Promise<void> {
    const { subject, text, html } = toEmail(notification);
    let info: SMTPSentMessageInfo;
    try {
      info = await this.#transport.sendMail({
        from: this.#from,
        to: [...this.#to],
        subject,
        text,
        html,
        ...(notification.severity === 'critical' ? { priority: 'high' as const } : {}),
        headers: { 'X-Watchdog-Alert-Id': notification.id },
      });
    } catch (error) {
      throw this.#toDeliveryError(error as NodemailerError);
    }
    const rejected = info.rejected ?? [];
    if (rejected.length > 0) {
      // Delivered to the others already: the error says so, because repeating the send
      // would reach them twice.
      const first = info.rejectedErrors?.[0];
      const code = first?.responseCode;
      throw new DeliveryError(
        `Email relay ${this.#host} refused ${rejected.length} of ${this.#to.length} recipients (${rejected.join(', ')})${code === undefined ? '' : `: SMTP ${code}`}`,
        { channel: this.label, partial: true, accepted: (info.accepted ?? []).length, rejected: rejected.length, ...(code === undefined ? {} : { smtpCode: code }) },
      );
    }
    this.#logger.info('Email relay accepted the alert', { channel: this.label, notificationId: notification.id, recipients: this.#to.length });
  }

  /** Releases the transport's sockets; only needed when the channel is thrown away. */
  close(): void {
    this.#transport.close();
  }

  #toDeliveryError(error: NodemailerError): DeliveryError {
    const code = error.responseCode;
    const response = error.response === undefined ? '' : this.#scrub(error.response);
    const what = describe(error);
    const message = `Email relay ${this.#host} ${what}${code === undefined ? '' : ` (SMTP ${code})`}${response === '' ? '' : `: ${response}`}`;
    // Not kept as the cause: what matters is copied here, and a copied field cannot smuggle
    // a credential the way an SMTP library's error object might.
    return new DeliveryError(message, {
      channel: this.label,
      errorCode: typeof error.code === 'string' ? error.code : 'UNKNOWN',
      ...(code === undefined ? {} : { smtpCode: code }),
      ...(error.permanent === undefined ? {} : { permanent: error.permanent }),
      ...(typeof error.command === 'string' ? { command: error.command.split(' ')[0] ?? '' } : {}),
    });
  }

  #scrub(response: string): string {
    let out = response.replace(/\s+/g, ' ').replace(/\p{Cc}/gu, '').trim();
    const password = this.#password;
    if (password !== undefined && password !== '') out = out.split(password).join('[redacted]');
    const chars = Array.from(out);
    return chars.length <= RESPONSE_CHARS ? out : `${chars.slice(0, RESPONSE_CHARS).join('')}…`;
  }
}

function tlsOptions(smtp: SmtpConfig): Pick<SMTPTransportOptions, 'secure' | 'requireTLS' | 'ignoreTLS'> {
  switch (smtp.tls) {
    case 'implicit':
      return { secure: true };
    case 'starttls':
      // Without requireTLS nodemailer would carry on in clear text if STARTTLS is not offered.
      return { secure: false, requireTLS: true };
    case 'none':
      return { secure: false, ignoreTLS: true };
  }
}

function describe(error: NodemailerError): string {
  switch (error.code) {
    case 'EENVELOPE':
      return error.command?.startsWith('MAIL') ? 'refused the sender' : 'refused the recipients';
    case 'EMESSAGE':
      return 'refused the message';
    case 'EAUTH':
      return 'refused the login';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ETLS':
      return 'could not set up TLS';
    case 'EDNS':
      return 'could not be resolved';
    case 'ECONNECTION':
    case 'ESOCKET': {
      const cause = error.originalCode ?? '';
      // A relay that speaks no TLS on the implicit-TLS port fails here, not as ETLS.
      if (/SSL|TLS|CERT/.test(cause)) return `could not set up TLS (${cause})`;
      return `could not be reached${cause === '' ? '' : ` (${cause})`}`;
    }
    default:
      return 'did not take the message';
  }
}
