import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Script } from 'node:vm';
import { startLabControl } from '../../../local/lab/labControl';
import { ANY_LAB_PORTS } from '../../../local/lab/labSettings';
import { LIVE_VIEW_SCRIPT } from '../../../local/lab/liveViewPage';
import { startLab, type Lab } from '../../../local/lab/startLab';

// A small lab on free ports, a real HTTP server standing where the watchdog's API would be (it
// records what reaches it), and the lab control between them, as startLocalHost wires it.
let lab: Lab;
let api: Server;
let apiUrl: string;
const reached: { method: string; url: string }[] = [];
const controls: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  lab = await startLab({ ports: ANY_LAB_PORTS });
  api = createServer((req, res) => {
    reached.push({ method: req.method ?? '', url: req.url ?? '' });
    const status = req.url === '/api/failovers/failover-nope' ? 404 : 200;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ answered: req.url }));
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  for (const c of controls) await c.close();
  api.closeAllConnections();
  await new Promise<void>((resolve) => api.close(() => resolve()));
  await lab.stop();
});

beforeEach(() => {
  reached.length = 0;
});

async function control(options: { apiUrl?: string } = {}): Promise<string> {
  const started = await startLabControl(lab, 0, options);
  controls.push(started);
  return `http://127.0.0.1:${started.port}`;
}

/** A request with the path exactly as written (fetch would resolve `..` before sending). */
function raw(base: string, method: string, path: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

describe('the live view page', () => {
  it('is one self-contained HTML page with a place for the pairs and a script that polls the lab and the API', async () => {
    const base = await control({ apiUrl });

    const res = await fetch(`${base}/lab/view`);
    const html = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<main id="pairs"></main>');
    expect(html).toContain('<style>');
    expect(html).toContain(`<script>${LIVE_VIEW_SCRIPT}</script>`);
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(LIVE_VIEW_SCRIPT).toContain("getJson('/lab')");
    expect(LIVE_VIEW_SCRIPT).toContain("getJson('/lab/api/pairs')");
    expect(LIVE_VIEW_SCRIPT).toContain("'/lab/api/failovers/failover-'");
  });

  it('has a script that parses and never writes data as HTML', () => {
    expect(() => new Script(LIVE_VIEW_SCRIPT)).not.toThrow();
    expect(LIVE_VIEW_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect(LIVE_VIEW_SCRIPT).not.toContain('</script');
  });
});

describe("the lab control's pass-through to the watchdog API", () => {
  it('forwards GET /lab/api/pairs to the API and answers with its status, content type and body', async () => {
    const base = await control({ apiUrl });

    const res = await fetch(`${base}/lab/api/pairs`);

    expect({ status: res.status, type: res.headers.get('content-type'), body: await res.text() }).toEqual({
      status: 200,
      type: 'application/json; charset=utf-8',
      body: JSON.stringify({ answered: '/api/pairs' }),
    });
    expect(reached).toEqual([{ method: 'GET', url: '/api/pairs' }]);
  });

  it("passes a deeper path and the API's own 404 through", async () => {
    const base = await control({ apiUrl });

    const found = await fetch(`${base}/lab/api/failovers/failover-erp`);
    const missing = await fetch(`${base}/lab/api/failovers/failover-nope`);

    expect([found.status, missing.status]).toEqual([200, 404]);
    expect(reached.map((r) => r.url)).toEqual(['/api/failovers/failover-erp', '/api/failovers/failover-nope']);
  });

  it.each(['POST', 'PUT', 'DELETE'])('refuses %s with 405 and forwards nothing', async (method) => {
    const base = await control({ apiUrl });

    const res = await raw(base, method, '/lab/api/pairs/erp/failover');

    expect({ status: res.status, allow: res.headers.allow }).toEqual({ status: 405, allow: 'GET' });
    expect(reached).toEqual([]);
  });

  it('refuses a path that climbs out of the API with 404 and forwards nothing', async () => {
    const base = await control({ apiUrl });

    const res = await raw(base, 'GET', '/lab/api/../lab');

    expect(res.status).toBe(404);
    expect(reached).toEqual([]);
  });

  it('answers 503 when the control was started without the API URL', async () => {
    const base = await control();

    const res = await fetch(`${base}/lab/api/pairs`);

    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toContain('without the watchdog API URL');
  });

  it('answers 502 naming the URL when nothing listens at the API', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/api`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const base = await control({ apiUrl: deadUrl });

    const res = await fetch(`${base}/lab/api/pairs`);

    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error).toContain(`GET ${deadUrl}/pairs`);
  });
});
