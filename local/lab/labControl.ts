import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LAB_ROUTES, labMethodsAt, matchLabRoute, UnknownLabTarget, type LabRouteContext } from './labRoutes';
import type { Lab } from './startLab';

export { sentNotifications, type SentNotification } from './sentNotifications';

export interface LabControlOptions {
  /** The watchdog API's base URL (e.g. `http://127.0.0.1:7071/api`): `/lab/api/...` forwards GETs to it for the live view. */
  readonly apiUrl?: string;
}

/**
 * Lab control over HTTP on localhost (LAB_ROUTES lists the routes): break an adTempus host the
 * ways that matter, mend it, watch it live, and read what the watchdog told people. GET routes
 * answer their JSON (the live view and the API pass-through their own body); POST routes answer
 * `{ done, lab }`: what happened, in a sentence, and the lab's state.
 */
export async function startLabControl(lab: Lab, port: number, options: LabControlOptions = {}): Promise<{ readonly port: number; close(): Promise<void> }> {
  const context: LabRouteContext = { lab, ...(options.apiUrl !== undefined ? { apiUrl: options.apiUrl } : {}) };
  const server: Server = createServer((req, res) => {
    route(context, req, res).catch((error: unknown) =>
      error instanceof UnknownLabTarget ? send(res, 404, { error: error.message }) : send(res, 500, { error: error instanceof Error ? error.message : String(error) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function route(context: LabRouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { lab } = context;
  const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  const match = matchLabRoute(req.method ?? '', path);
  if (!match) {
    const allowed = labMethodsAt(path);
    if (allowed.length > 0) return send(res, 405, { error: `${req.method ?? ''} ${path}: this route takes ${allowed.join(', ')} only` }, { allow: allowed.join(', ') });
    const known = LAB_ROUTES.map((r) => `${r.method} ${r.path}`).join('; ');
    return send(res, 404, { error: `no route ${req.method ?? ''} ${path}`, routes: known });
  }
  const { route: found, params } = match;
  if (found.method === 'GET') {
    if (!('reply' in found)) return send(res, 200, await found.answer(lab));
    const reply = await found.reply(context, params);
    if (!res.headersSent) res.writeHead(reply.status, { 'content-type': reply.contentType, 'cache-control': 'no-store' }).end(reply.body);
    return;
  }
  const done = await found.act(lab, params);
  send(res, 200, { done, lab: await lab.state() });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(`${JSON.stringify(body, null, 2)}\n`);
}
