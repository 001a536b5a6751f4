import { HttpResponse, type Cookie } from '@azure/functions';
import type { ServerResponse } from 'node:http';
import { WatchdogError } from '../../shared/domain/errors';

/** The library refuses the same results (AzFuncSystemError) before the host sees them. */
export class InvalidHttpResultError extends WatchdogError {
  constructor() {
    super('HTTP_RESULT_INVALID', 'The HTTP response must be an object with optional properties "body", "jsonBody", "status", "headers", and "cookies".');
  }
}

/**
 * Writes what an HTTP function returned, converted the way the library converts it for the host:
 * an HttpResponse, or an HttpResponseInit turned into one (`jsonBody` becomes JSON with
 * `application/json` unless a content type was set). Returning nothing answers 204 with no body.
 * Throws InvalidHttpResultError, before writing anything, for a result that is not an object.
 */
export async function writeHttpResponse(res: ServerResponse, result: unknown, method: string): Promise<number> {
  if (result === undefined || result === null) {
    res.writeHead(204).end();
    return 204;
  }
  if (typeof result !== 'object') throw new InvalidHttpResultError();
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) if (name !== 'set-cookie') headers[name] = value;
  const cookies = [...response.headers.getSetCookie(), ...response.cookies.map(toSetCookie)];
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  res.end(method === 'HEAD' ? undefined : body);
  return response.status;
}

function toSetCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}
