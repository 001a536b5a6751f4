import { app, HttpResponse, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getRegistrations } from '../../../local/functionsCore';
import { startHttpHost, type HttpHost } from '../../../local/http/httpHost';

/** What a route saw of its request, sent back so the test can check the conversion. */
async function echo(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const text = await request.text();
  return {
    jsonBody: {
      functionName: context.functionName,
      invocationId: context.invocationId,
      trigger: context.options.trigger.type,
      method: request.method,
      url: request.url,
      params: request.params,
      query: Object.fromEntries(request.query),
      tags: request.query.getAll('tag'),
      probe: request.headers.get('x-probe'),
      contentType: request.headers.get('content-type'),
      body: text === '' ? null : (JSON.parse(text) as unknown),
    },
  };
}

app.http('echoThing', { route: 'things/{kind}/{id?}', methods: ['GET', 'POST'], authLevel: 'function', handler: echo });
app.http('specialThing', { route: 'things/special', methods: ['GET'], handler: async () => ({ jsonBody: { special: true } }) });
app.http('putSetting', { route: 'settings/{name}', methods: ['PUT'], handler: async (req) => ({ status: 200, jsonBody: { put: req.params.name } }) });
// The types ask for a response; at run time a handler may return nothing.
app.http('deleteSetting', { route: 'settings/{name}', methods: ['DELETE'], handler: (async () => undefined) as never });
app.http('created', {
  route: 'created',
  methods: ['POST'],
  handler: async () => new HttpResponse({ status: 201, body: 'made it', headers: { 'Content-Type': 'text/plain', Location: '/api/things/job/1', 'X-Trace': 'abc' } }),
});
app.http('boom', {
  route: 'boom',
  methods: ['GET'],
  handler: async () => {
    throw new Error('password=hunter2 leaked into a message');
  },
});
app.http('notAnObject', { route: 'not-an-object', methods: ['GET'], handler: (async () => 'just text') as never });
app.http('noRoute', { methods: ['GET'], handler: async () => ({ body: 'served at its name' }) });

let host: HttpHost;
const lines: string[] = [];

beforeAll(async () => {
  host = await startHttpHost({ registrations: getRegistrations().values(), port: 0, log: (line) => lines.push(line) });
});

afterAll(async () => {
  await host.close();
});

const url = (path: string): string => `${host.baseUrl}${path}`;

describe('startHttpHost', () => {
  it('listens on a free loopback port when asked for port 0', () => {
    expect(host.port).toBeGreaterThan(0);
    expect(host.baseUrl).toBe(`http://127.0.0.1:${host.port}`);
  });

  it('hands a route its parameters, query, headers and JSON body as a real HttpRequest with an InvocationContext', async () => {
    const response = await fetch(url('/api/things/job/7?verbose=true&tag=a&tag=b'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Probe': 'hello' },
      body: JSON.stringify({ reason: 'drill', force: false }),
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const seen = (await response.json()) as Record<string, unknown>;
    expect(seen).toMatchObject({
      functionName: 'echoThing',
      trigger: 'httpTrigger',
      method: 'POST',
      url: url('/api/things/job/7?verbose=true&tag=a&tag=b'),
      params: { kind: 'job', id: '7' },
      query: { verbose: 'true' },
      tags: ['a', 'b'],
      probe: 'hello',
      contentType: 'application/json',
      body: { reason: 'drill', force: false },
    });
    expect(seen.invocationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves an optional parameter out when the path does not have it, and serves GET without a body', async () => {
    const response = await fetch(url('/api/things/job'));

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ method: 'GET', params: { kind: 'job' }, body: null });
  });

  it('prefers a literal route over a parameter, as the host does', async () => {
    const special = await fetch(url('/api/things/special'));
    const other = await fetch(url('/api/things/other'));

    expect(await special.json()).toEqual({ special: true });
    expect(await other.json()).toMatchObject({ functionName: 'echoThing', params: { kind: 'other' } });
  });

  it('writes back an HttpResponse with its status, headers and text body', async () => {
    const response = await fetch(url('/api/created'), { method: 'POST' });

    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('location')).toBe('/api/things/job/1');
    expect(response.headers.get('x-trace')).toBe('abc');
    expect(await response.text()).toBe('made it');
  });

  it('serves two functions on one template by method, and answers 204 when a handler returns nothing', async () => {
    const put = await fetch(url('/api/settings/maintenance'), { method: 'PUT' });
    const removed = await fetch(url('/api/settings/maintenance'), { method: 'DELETE' });

    expect(await put.json()).toEqual({ put: 'maintenance' });
    expect(removed.status).toBe(204);
    expect(await removed.text()).toBe('');
  });

  it('serves a function without a route at its name', async () => {
    const response = await fetch(url('/api/noRoute'));

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('served at its name');
  });

  it('answers 404 with a JSON error for a path no function serves, including one outside the api prefix', async () => {
    for (const path of ['/api/nothing-here', '/things/job', '/api/things/job/7/extra']) {
      const response = await fetch(url(path));

      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining(path) } });
    }
  });

  it('answers 405 with the allowed methods for a method the route does not declare', async () => {
    const response = await fetch(url('/api/settings/maintenance'), { method: 'POST', body: '{}' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('PUT, DELETE');
    expect(await response.json()).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message: expect.stringContaining('POST') } });
  });

  it('answers 500 with a JSON error that names the invocation but not the error, its message or its stack, and logs the cause', async () => {
    const response = await fetch(url('/api/boom'));

    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('FUNCTION_FAILED');
    expect(JSON.stringify(body)).not.toMatch(/hunter2|at .*\.ts|Error:/);
    const invocationId = /invocation ([0-9a-f-]{36})/.exec(body.error.message)?.[1];
    expect(lines.some((l) => l.includes(invocationId!) && l.includes('hunter2'))).toBe(true);
  });

  it('answers 500 when a handler returns something that is not a response', async () => {
    const response = await fetch(url('/api/not-an-object'));

    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FUNCTION_FAILED');
  });

  it('lists its routes with their methods and auth level', () => {
    expect(host.routes).toEqual(
      expect.arrayContaining([
        { functionName: 'echoThing', methods: ['GET', 'POST'], template: 'api/things/{kind}/{id?}', authLevel: 'function' },
        { functionName: 'noRoute', methods: ['GET'], template: 'api/noRoute', authLevel: 'anonymous' },
      ]),
    );
  });
});

describe('startHttpHost on a port already taken', () => {
  it('says which setting picks another port', async () => {
    await expect(startHttpHost({ registrations: [], port: host.port })).rejects.toMatchObject({ code: 'HTTP_PORT_IN_USE', message: expect.stringContaining('WATCHDOG_HTTP_PORT') });
  });
});
