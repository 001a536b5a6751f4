import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeliveryError, WatchdogError } from '../../domain/errors';
import type { Notification } from '../../domain/notification';
import type { AlertChannel } from '../../ports/alertChannel.port';
import { silentLogger, type Logger } from '../../ports/logger.port';
import { toTeamsPayload } from './adaptiveCard';

export interface TeamsWebhookOptions {
  /** Secret: the signature in its query string is the only credential the workflow checks. */
  readonly url: string;
  /** Per attempt, reading the answer included. */
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /**
   * Cap on every wait between attempts, Retry-After included: a send then takes at most
   * maxAttempts × (timeoutMs + maxRetryDelayMs), so the timer run that sends cannot hang.
   */
  readonly maxRetryDelayMs?: number;
  readonly logger?: Logger;
}

const DEFAULT_MAX_RETRY_DELAY_MS = 10_000;
const BACKOFF_BASE_MS = 1_000;
const SNIPPET_BYTES = 2_048;
const SNIPPET_CHARS = 200;

type Attempt =
  | { readonly outcome: 'accepted'; readonly status: number }
  | { readonly outcome: 'retry'; readonly reason: string; readonly status?: number; readonly retryAfterMs?: number }
  | { readonly outcome: 'refused'; readonly status: number; readonly snippet: string };

/** Posts alerts to a Teams Workflows webhook ("When a Teams webhook request is received"). */
export class TeamsWebhookChannel implements AlertChannel {
  readonly kind = 'teams' as const;
  readonly label: string;
  // Private fields stay out of util.inspect and JSON, so logging the channel cannot leak them.
  readonly #url: string;
  readonly #secrets: readonly string[];
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #maxRetryDelayMs: number;
  readonly #logger: Logger;

  constructor(options: TeamsWebhookOptions) {
    const url = parseWebhookUrl(options.url);
    if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) throw new RangeError('maxAttempts must be a whole number of at least 1');
    if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    this.#url = options.url;
    this.#secrets = secretsOf(options.url, url);
    this.#timeoutMs = options.timeoutMs;
    this.#maxAttempts = options.maxAttempts;
    this.#maxRetryDelayMs = Math.max(0, options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS);
    this.#logger = options.logger ?? silentLogger;
    this.label = `teams:${url.hostname}#${createHash('sha256').update(options.url).digest('hex').slice(0, 6)}`;
  }

  async send(notification: Notification): Promise<void> {
    const body = JSON.stringify(toTeamsPayload(notification));
    const context = { channel: this.label, notificationId: notification.id };
    for (let attempt = 1; ; attempt++) {
      const result = await this.#attempt(body);
      if (result.outcome === 'accepted') {
        this.#logger.info('Teams webhook accepted the alert', { ...context, attempts: attempt, status: result.status });
        return;
      }
      if (result.outcome === 'refused') {
        const detail = result.snippet === '' ? '' : `: ${result.snippet}`;
        throw new DeliveryError(`Teams webhook ${this.label} refused the alert with HTTP ${result.status}${detail}`, {
          channel: this.label,
          status: result.status,
          attempts: attempt,
          retryable: false,
        });
      }
      const last = { reason: result.reason, ...(result.status === undefined ? {} : { status: result.status }) };
      if (attempt >= this.#maxAttempts) {
        throw new DeliveryError(`Teams webhook ${this.label} did not accept the alert after ${attempt} attempt${attempt === 1 ? '' : 's'} (last: ${result.reason})`, {
          channel: this.label,
          attempts: attempt,
          retryable: true,
          ...last,
        });
      }
      const delayMs = this.#delayAfter(attempt, result.retryAfterMs);
      this.#logger.warn('Teams webhook attempt failed; retrying', {
        ...context,
        attempt,
        maxAttempts: this.#maxAttempts,
        ...last,
        ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
        delayMs,
      });
      await sleep(delayMs);
    }
  }

  async #attempt(body: string): Promise<Attempt> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    try {
      // A workflow webhook never redirects; following one would post the alert elsewhere.
      response = await fetch(this.#url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal, redirect: 'manual' });
    } catch (error) {
      return { outcome: 'retry', reason: this.#describe(error) };
    }
    const { status } = response;
    if (status >= 200 && status < 300) {
      await discard(response);
      return { outcome: 'accepted', status };
    }
    if (status === 408 || status === 429 || status >= 500) {
      await discard(response);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
      return { outcome: 'retry', reason: `HTTP ${status}`, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
    return { outcome: 'refused', status, snippet: shorten(this.#redact(await readStart(response))) };
  }

  #delayAfter(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.#maxRetryDelayMs);
    // Jitter keeps several watchdog instances that failed together from retrying in step.
    const ceiling = BACKOFF_BASE_MS * 2 ** (attempt - 1);
    return Math.min(this.#maxRetryDelayMs, Math.round(ceiling / 2 + (Math.random() * ceiling) / 2));
  }

  /** fetch's own messages can quote the URL; only the kind of failure is kept. */
  #describe(error: unknown): string {
    // Shapes, not instanceof: fetch's errors come from another realm under some runners.
    const { name, cause } = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; cause?: { code?: unknown } };
    if (name === 'TimeoutError') return `timed out after ${this.#timeoutMs} ms`;
    const code = typeof cause?.code === 'string' && /^[A-Z0-9_]+$/.test(cause.code) ? cause.code : undefined;
    return code === undefined ? 'network error' : `network error (${code})`;
  }

  #redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  }
}

/**
 * Retry-After in milliseconds: delta-seconds or an HTTP date (RFC 9110 10.2.3). Anything else
 * is ignored, so a malformed header falls back to backoff instead of an arbitrary wait.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  const text = value?.trim() ?? '';
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse reads almost anything as a date ("1.5" included); HTTP dates always end in GMT.
  if (!/ GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function parseWebhookUrl(value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new WatchdogError('TEAMS_WEBHOOK_URL_INVALID', 'The Teams webhook URL is not an http(s) URL');
  }
  return url;
}

/** The forms in which the URL or its signature could come back in a response body. */
function secretsOf(raw: string, url: URL): readonly string[] {
  const values = [...url.searchParams.values()].filter((v) => v.length >= 8);
  const forms = [raw, url.href, ...values, ...values.map(encodeURIComponent)];
  // Longest first, so a whole URL is replaced before the signature inside it.
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** The first bytes of a body only: an error page can be large, and only a hint is kept. */
async function readStart(response: Response): Promise<string> {
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    while (bytes < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
    }
  } catch {
    // A body that fails or times out mid-way still leaves the status to report.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function shorten(body: string): string {
  // Control characters could forge log lines; the snippet ends up in logs.
  const text = body.replace(/\s+/g, ' ').replace(/\p{Cc}/gu, '').trim();
  const chars = Array.from(text);
  return chars.length <= SNIPPET_CHARS ? text : `${chars.slice(0, SNIPPET_CHARS).join('')}…`;
}
