/** A reply the lab control sends as it is: a page, or the watchdog API's own answer. */
export interface LabReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Long enough for a durable status read; short enough that a poll never piles up behind a dead API. */
const API_TIMEOUT_MS = 10_000;

/**
 * Forwards a GET to the watchdog's API (`apiUrl` is its base, e.g. `http://127.0.0.1:7071/api`)
 * and answers with its status, content type and body. The live view reads the API through this,
 * from the lab control's own origin: the API listens on another port, and a proxy needs no CORS
 * on the API. Only GET reaches it (the route is GET-only), so nothing the view does changes state.
 */
export async function forwardApiGet(apiUrl: string | undefined, path: string): Promise<LabReply> {
  if (apiUrl === undefined) return jsonReply(503, { error: 'this lab control was started without the watchdog API URL: nothing to forward to' });
  const url = `${apiUrl.replace(/\/+$/, '')}/${path}`;
  try {
    const res = await fetch(url, { method: 'GET', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(API_TIMEOUT_MS) });
    return { status: res.status, contentType: res.headers.get('content-type') ?? 'application/octet-stream', body: await res.text() };
  } catch (error) {
    return jsonReply(502, { error: `the watchdog API did not answer GET ${url}: ${error instanceof Error ? error.message : String(error)}` });
  }
}

export function jsonReply(status: number, body: unknown): LabReply {
  return { status, contentType: 'application/json', body: `${JSON.stringify(body, null, 2)}\n` };
}
