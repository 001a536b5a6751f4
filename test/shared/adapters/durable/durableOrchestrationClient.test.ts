import { InvocationContext } from '@azure/functions';
import { durableClientInput, orchestrationClientFor } from '../../../../shared/composition/orchestrationClient';
import { DurableExtensionPeer, SYSTEM_KEY } from './durableExtensionPeer';

let peer: DurableExtensionPeer;
const savedHostName = process.env.WEBSITE_HOSTNAME;

beforeAll(async () => {
  peer = await DurableExtensionPeer.start();
});

afterAll(async () => {
  await peer.close();
});

afterEach(() => {
  peer.instances.clear();
  peer.requests.length = 0;
  peer.failNext = undefined;
  peer.beforeStart = undefined;
  if (savedHostName === undefined) delete process.env.WEBSITE_HOSTNAME;
  else process.env.WEBSITE_HOSTNAME = savedHostName;
});

/** An invocation of a function registered with the durable client input, as the host hands it over. */
function invocation(rpc = true): InvocationContext {
  const context = new InvocationContext({ functionName: 'requestFailover', invocationId: 'inv-1', options: { trigger: { type: 'httpTrigger', name: 'req' }, extraInputs: [durableClientInput] } });
  context.extraInputs.set(durableClientInput, peer.clientData({ rpc }));
  return context;
}

describe('DurableOrchestrationClient (through orchestrationClientFor in production)', () => {
  it('starts an orchestration under the fixed instance id with the input as JSON', async () => {
    const client = orchestrationClientFor(invocation());

    const result = await client.start('failover', 'failover-erp', { pairId: 'erp', reason: 'move' });

    expect(result).toEqual({ started: true });
    expect(peer.instances.get('failover-erp')).toMatchObject({ name: 'failover', input: { pairId: 'erp', reason: 'move' } });
    expect(peer.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(['GET /durabletask/instances/failover-erp', 'POST /durabletask/orchestrators/failover/failover-erp']);
  });

  it('returns the running instance instead of starting a second one', async () => {
    const client = orchestrationClientFor(invocation());
    await client.start('failover', 'failover-erp', { n: 1 });

    const second = await client.start('failover', 'failover-erp', { n: 2 });

    expect(second).toMatchObject({ started: false, existing: { instanceId: 'failover-erp', runtimeStatus: 'Running', input: { n: 1 } } });
    expect(peer.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('treats a start the extension refuses because another trigger just started the id as finding it running', async () => {
    const client = orchestrationClientFor(invocation());
    await client.start('failover', 'failover-erp', { n: 1 });
    peer.finish('failover-erp', { outcome: 'completed' });
    // Between our look and our start another trigger starts it: the extension answers our start with a 500.
    peer.beforeStart = () => Object.assign(peer.instances.get('failover-erp')!, { runtimeStatus: 'Running', input: { n: 'other' } });

    const result = await client.start('failover', 'failover-erp', { n: 2 });

    expect(result).toMatchObject({ started: false, existing: { runtimeStatus: 'Running', input: { n: 'other' } } });
  });

  it('fails a start the extension refuses for another reason', async () => {
    const client = orchestrationClientFor(invocation());
    peer.beforeStart = () => {
      peer.failNext = 500;
    };

    await expect(client.start('failover', 'failover-erp', {})).rejects.toMatchObject({ code: 'ORCHESTRATION_CLIENT_FAILED', message: expect.stringContaining("start of 'failover-erp' failed") });
  });

  it('reads the status of an instance with its input, custom status, output and times', async () => {
    const client = orchestrationClientFor(invocation());
    await client.start('failover', 'failover-erp', { n: 1 });
    peer.instances.get('failover-erp')!.customStatus = { phase: 'gate' };
    peer.finish('failover-erp', { outcome: 'completed' });

    const status = await client.getStatus('failover-erp');

    expect(status).toMatchObject({ instanceId: 'failover-erp', name: 'failover', runtimeStatus: 'Completed', input: { n: 1 }, customStatus: { phase: 'gate' }, output: { outcome: 'completed' } });
    expect(Date.parse(status!.createdAt)).not.toBeNaN();
  });

  it('reads an unknown instance as undefined', async () => {
    expect(await orchestrationClientFor(invocation()).getStatus('failover-none')).toBeUndefined();
  });

  it('raises an event as JSON on a running instance', async () => {
    const client = orchestrationClientFor(invocation());
    await client.start('failover', 'failover-erp', {});

    expect(await client.raiseEvent('failover-erp', 'approval', { decision: 'approve', by: 'bob' })).toBe(true);

    expect(peer.instances.get('failover-erp')!.events).toEqual([{ name: 'approval', data: { decision: 'approve', by: 'bob' }, contentType: expect.stringMatching(/^application\/json/) }]);
  });

  it('says false for an event to a finished or unknown instance, raising nothing', async () => {
    const client = orchestrationClientFor(invocation());
    await client.start('failover', 'failover-erp', {});
    peer.finish('failover-erp', null);

    expect(await client.raiseEvent('failover-erp', 'approval', {})).toBe(false);
    expect(await client.raiseEvent('failover-none', 'approval', {})).toBe(false);
    expect(peer.requests.filter((r) => r.url.includes('raiseEvent'))).toEqual([]);
  });

  it('uses the webhook URLs of an extension without the local RPC endpoint', async () => {
    process.env.WEBSITE_HOSTNAME = new URL(peer.origin).host;
    const client = orchestrationClientFor(invocation(false));

    await client.start('failover', 'failover-erp', { n: 1 });

    expect(await client.getStatus('failover-erp')).toMatchObject({ runtimeStatus: 'Running' });
    expect(peer.requests.every((r) => new URL(r.url).pathname.startsWith('/runtime/webhooks/durabletask/'))).toBe(true);
  });

  it('fails with an error that names the operation but never the URL or its system key', async () => {
    process.env.WEBSITE_HOSTNAME = new URL(peer.origin).host;
    const client = orchestrationClientFor(invocation(false));
    peer.failNext = 503;

    const error = await client.getStatus('failover-erp').then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toMatchObject({ code: 'ORCHESTRATION_CLIENT_FAILED', message: expect.stringContaining("status read of 'failover-erp' failed") });
    expect((error as Error).message).toContain('503');
    expect((error as Error).message).not.toContain(SYSTEM_KEY);
    expect((error as Error).message).not.toContain(peer.origin);
  });

  it('fails clearly when the function was registered without the durable client input', () => {
    const context = new InvocationContext({ functionName: 'x', invocationId: 'inv-2' });

    expect(() => orchestrationClientFor(context)).toThrow(/durable client input/);
  });
});
