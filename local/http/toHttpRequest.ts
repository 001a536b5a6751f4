import { HttpRequest } from '@azure/functions';
import type { IncomingHttpHeaders } from 'node:http';

export interface IncomingCall {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * The HttpRequest the worker hands an HTTP function, built with the library's own class: the
 * query is read from the URL (repeated keys kept), route parameters come from the matched
 * template, and a GET or HEAD body is dropped as the library drops it.
 */
export function toHttpRequest(call: IncomingCall): HttpRequest {
  return new HttpRequest({
    method: call.method,
    url: call.url.toString(),
    headers: flattenHeaders(call.headers),
    params: { ...call.params },
    ...(call.body.length > 0 ? { body: { bytes: call.body } } : {}),
  });
}

/** Node keeps repeated headers as arrays only for a few names; join them as a proxy would. */
function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
