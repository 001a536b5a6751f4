import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Lab } from './startLab';

/** What the lab's sinks received: the watchdog's notifications as a person would see them. */
export interface SentNotification {
  readonly channel: 'teams' | 'email';
  readonly to: string;
  readonly title: string;
}

export function sentNotifications(lab: Lab): SentNotification[] {
  const teams = lab.teams.requests.map((r): SentNotification => {
    const inlines = [...r.rawBody.matchAll(/"text":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]!}"`) as string);
    return { channel: 'teams', to: r.path.split('?')[0]!, title: `${inlines[0] ?? ''}${inlines[1] ?? ''}` };
  });
  const mail = lab.smtp.messages.map((m): SentNotification => ({ channel: 'email', to: m.envelope.to.join(', '), title: m.subject }));
  return [...teams, ...mail];
}

/**
 * Lab control over HTTP on localhost: break the Primary in the ways that matter and read what
 * the watchdog told people. Routes (all POST except the GETs):
 *   GET  /lab                              pairs, simulated service states, backups shipped
 *   GET  /lab/notifications                Teams posts and emails received
 *   POST /lab/pairs/{id}/primary/hang      adTempus stops heartbeating but keeps the lock
 *   POST /lab/pairs/{id}/primary/stop      adTempus stops cleanly and releases the lock
 *   POST /lab/pairs/{id}/primary/start     adTempus runs again
 *   POST /lab/pairs/{id}/backups/pause     no more backups (they go stale)
 *   POST /lab/pairs/{id}/backups/resume
 *   POST /lab/sql/cut                      the watchdog's queries to the main database server hang
 *   POST /lab/sql/restore
 */
export async function startLabControl(lab: Lab, port: number): Promise<{ readonly port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    try {
      route(lab, req, res);
    } catch (error) {
      send(res, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function route(lab: Lab, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  if (req.method === 'GET' && path === '/lab') return send(res, 200, state(lab));
  if (req.method === 'GET' && path === '/lab/notifications') return send(res, 200, sentNotifications(lab));
  if (req.method !== 'POST') return send(res, 404, { error: `no route ${req.method ?? ''} ${path}` });
  const sql = /^\/lab\/sql\/(cut|restore)$/.exec(path);
  if (sql) {
    lab.sql.main.hang(sql[1] === 'cut');
    return send(res, 200, { sql: sql[1] === 'cut' ? 'cut off' : 'answering' });
  }
  const m = /^\/lab\/pairs\/([a-z0-9-]+)\/(primary|backups)\/([a-z]+)$/.exec(path);
  if (!m) return send(res, 404, { error: `no route POST ${path}` });
  const [, id, what, action] = m as unknown as [string, string, string, string];
  const primary = lab.primaries.get(id);
  const backups = lab.backups.get(id);
  if (!primary || !backups) return send(res, 404, { error: `no pair "${id}" in the lab` });
  if (what === 'primary' && (action === 'hang' || action === 'start')) primary[action]();
  else if (what === 'primary' && action === 'stop') primary.stopCleanly();
  else if (what === 'backups' && (action === 'pause' || action === 'resume')) backups.paused = action === 'pause';
  else return send(res, 404, { error: `unknown action "${action}" for ${what}` });
  send(res, 200, state(lab));
}

function state(lab: Lab): unknown {
  return {
    pairs: lab.pairs.map((p) => ({
      id: p.id,
      primary: { host: p.primary.hostName, adTempus: lab.primaries.get(p.id)?.state },
      backups: { shipped: lab.backups.get(p.id)?.shipped, paused: lab.backups.get(p.id)?.paused },
    })),
    notifications: lab.teams.requests.length + lab.smtp.messages.length,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body, null, 2)}\n`);
}
