import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LAB_ROUTES, matchLabRoute, UnknownLabTarget } from './labRoutes';
import type { Lab } from './startLab';

export { sentNotifications, type SentNotification } from './sentNotifications';

/**
 * Lab control over HTTP on localhost (LAB_ROUTES lists the routes): break an adTempus host the
 * ways that matter, mend it, and read what the watchdog told people. GET routes answer their
 * JSON; POST routes answer `{ done, lab }`: what happened, in a sentence, and the lab's state.
 */
export async function startLabControl(lab: Lab, port: number): Promise<{ readonly port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    route(lab, req, res).catch((error: unknown) =>
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

async function route(lab: Lab, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  const match = matchLabRoute(req.method ?? '', path);
  if (!match) {
    const known = LAB_ROUTES.map((r) => `${r.method} ${r.path}`).join('; ');
    return send(res, 404, { error: `no route ${req.method ?? ''} ${path}`, routes: known });
  }
  const { route: found, params } = match;
  if (found.method === 'GET') return send(res, 200, await found.answer(lab));
  const done = await found.act(lab, params);
  send(res, 200, { done, lab: await lab.state() });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body, null, 2)}\n`);
}
