import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LabDatabase } from './labDatabase';

export interface LabDatabaseServerOptions {
  readonly databases: readonly LabDatabase[];
  /**
   * Resolves when `host` may be answered. A hung adTempus host's requests are held here, so its
   * heartbeats, backups and even the lock release of a clean stop never arrive until it resumes;
   * rejects when the host crashed meanwhile (its held requests are dropped).
   */
  readonly responsive: (host: string) => Promise<void>;
  readonly log: (line: string) => void;
}

export interface LabDatabaseServer {
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;

/**
 * The lab's SQL Servers as the simulated adTempus services and the restore utility reach them:
 * a small HTTP endpoint on 127.0.0.1 (never user-facing; the watchdog reads the same databases over
 * TDS). POST /databases/{name}/{acquire|heartbeat|release|backup|restore} with a JSON body;
 * 200 with `{ ok: true, ... }`, 409 with `{ ok: false, message }` when the rules refuse.
 */
export async function startLabDatabaseServer(options: LabDatabaseServerOptions): Promise<LabDatabaseServer> {
  const databases = new Map(options.databases.map((d) => [d.name.toLowerCase(), d]));
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { ok: false, message: error instanceof Error ? error.message : String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = /^\/databases\/([A-Za-z0-9_]+)\/(acquire|heartbeat|release|backup|restore)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return send(res, 404, { ok: false, message: `no route ${req.method ?? ''} ${req.url ?? ''}` });
    const database = databases.get(m[1]!.toLowerCase());
    if (!database) return send(res, 404, { ok: false, message: `Cannot open database "${m[1]!}"` });
    const body = await readJson(req);
    const host = typeof body['host'] === 'string' ? body['host'] : '';
    if (host !== '') {
      try {
        await options.responsive(host);
      } catch {
        // The host crashed while its request was held: the process that sent it is gone.
        return void req.socket.destroy();
      }
      // Held while hung and its sender has ended since (killed by a stop): it never arrives.
      if (req.socket.destroyed) return;
    }
    switch (m[2]) {
      case 'acquire': {
        const result = database.acquire(host, { takeControl: body['takeControl'] === true, noRun: body['noRun'] === true });
        if (!result.ok) options.log(`adTempus on ${host} refused to start: ${result.message}`);
        else if (result.tookOver) options.log(`adTempus on ${host} took control of ${database.name} from ${result.previousOwner ?? 'nobody'}`);
        return send(res, result.ok ? 200 : 409, result);
      }
      case 'heartbeat': {
        const result = database.heartbeat(host);
        if (!result.ok) options.log(`adTempus on ${host} lost control of ${database.name}: ${result.message}`);
        return send(res, result.ok ? 200 : 409, result);
      }
      case 'release':
        return send(res, 200, { ok: true, released: database.release(host) });
      case 'backup': {
        const folder = typeof body['folder'] === 'string' ? body['folder'] : '';
        if (folder === '') return send(res, 400, { ok: false, message: 'folder is required' });
        const result = await database.backup(host, folder);
        return send(res, result.ok ? 200 : 409, result);
      }
      default: {
        const file = typeof body['file'] === 'string' ? body['file'] : '';
        if (file === '') return send(res, 400, { ok: false, message: 'file is required' });
        const result = await database.restore(file);
        options.log(result.ok ? `${database.name} restored from ${file} (lock owner ${result.content.owner ?? 'none'})` : `restoring ${database.name} failed: ${result.message}`);
        return send(res, result.ok ? 200 : 409, result);
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Held requests of a hung host would keep close() waiting for ever.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > MAX_BODY_BYTES) throw new Error('request body too large');
  }
  if (text.trim() === '') return {};
  const parsed: unknown = JSON.parse(text);
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
