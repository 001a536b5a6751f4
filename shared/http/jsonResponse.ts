import type { HttpResponseInit } from '@azure/functions';

/** Every answer is JSON and never cached: it is the watchdog's view at this moment. */
export function jsonResponse(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'Cache-Control': 'no-store', ...headers } };
}
