import { WebhookSink } from './webhookSink';

let sink: WebhookSink;

beforeAll(async () => {
  sink = await WebhookSink.start();
});

afterEach(() => sink.reset());

afterAll(async () => {
  await sink.close();
});

const post = (body: unknown, signal?: AbortSignal): Promise<Response> =>
  fetch(sink.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });

describe('WebhookSink', () => {
  it('records the method, path, headers and parsed JSON body of a request', async () => {
    await post({ hello: 'teams' });

    expect(sink.requests).toHaveLength(1);
    const [request] = sink.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toContain(`sig=${sink.signature}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toEqual({ hello: 'teams' });
  });

  it('answers 202 with an empty body when nothing is scripted', async () => {
    const response = await post({});

    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
  });

  it('answers from the script in order, then falls back to 202', async () => {
    sink.respondWith([{ status: 429, headers: { 'Retry-After': '1' } }, { status: 500, body: 'boom' }]);

    const first = await post({});
    const second = await post({});
    const third = await post({});

    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '1']);
    expect([second.status, await second.text()]).toEqual([500, 'boom']);
    expect(third.status).toBe(202);
  });

  it('never answers a request scripted to hang, yet records it', async () => {
    sink.respondWith(['hang']);

    await expect(post({ n: 1 }, AbortSignal.timeout(100))).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sink.requests.map((r) => r.body)).toEqual([{ n: 1 }]);
  });

  it('closes while a request is still hanging', async () => {
    const other = await WebhookSink.start();
    other.respondAlways('hang');
    const pending = fetch(other.url, { method: 'POST', body: '{}' }).catch((error: unknown) => error);
    while (other.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    await other.close();

    expect(await pending).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});
