/**
 * Secrets that reach the agent (the restore command's SAS URL above all) must never appear in a
 * log line, a reply or an error. These helpers remove known secrets and, as a second line, strip
 * the query string of every URL and mask SAS signatures in any text that passes through them.
 */

const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>]+/gi;
const SAS_SIGNATURE = /\bsig=[^&\s"']+/gi;

/** The URL without query or fragment: names the blob, carries no token. */
export function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '[not a URL]';
  }
}

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // A secret URL keeps naming its resource (people need to know which blob), without its token.
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(/^https?:\/\//i.test(secret) ? `${withoutQuery(secret)}?[redacted]` : '[redacted]');
  return out.replace(URL_IN_TEXT, (url) => (url.includes('?') || url.includes('#') ? `${url.split(/[?#]/)[0]}?[redacted]` : url)).replace(SAS_SIGNATURE, 'sig=[redacted]');
}

/** redact() applied to every string inside a JSON-like value (reply results). */
export function redactDeep<T>(value: T, secrets: readonly string[] = []): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)])) as T;
  }
  return value;
}
