import { getRegistration } from '../../../local/functionsCore';
import { FAILOVER_EVENTS } from '../../../shared/contracts/failoverContract';
import { HistoryEventType } from '../../../local/durable/historyEvent';
import { FINISH_EVENT, copiedPair, sharedPair, signedIn, startApiFixture, type ApiFixture } from './httpApiFixture';

let api: ApiFixture;

beforeAll(async () => {
  api = await startApiFixture('api-decide');
});

afterAll(async () => {
  await api.close();
});

beforeEach(async () => {
  await api.reset([copiedPair('erp'), sharedPair('hr', { failover: { twoPersonRule: true } })]);
});

const start = (id: string, headers: Record<string, string> = {}) => api.call('requestFailover', 'POST', { params: { id }, body: { reason: 'planned move' }, headers });
const answer = (route: 'approveFailover' | 'rejectFailover' | 'cancelFailover', instanceId: string, body?: unknown, headers: Record<string, string> = {}) =>
  api.call(route, 'POST', { params: { instanceId }, body, headers });
const status = (instanceId: string) => api.call('getFailover', 'GET', { params: { instanceId } });

/** The events the orchestration received, in order, with their data. */
async function raised(instanceId: string): Promise<{ name: string; data: unknown }[]> {
  const history = await api.harness.history(instanceId);
  return history
    .filter((e) => e.EventType === HistoryEventType.EventRaised)
    .map((e) => ({ name: String(e.Name), data: e.Input === undefined ? undefined : JSON.parse(String(e.Input)) }));
}

describe('POST /api/failovers/{instanceId}/approve and /reject', () => {
  it('raises the approval on the waiting orchestration, which goes on past the gate', async () => {
    await start('erp', signedIn('alice@contoso.com'));

    const response = await answer('approveFailover', 'failover-erp', { comment: 'go ahead' }, signedIn('bob@contoso.com'));

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ instanceId: 'failover-erp', statusUrl: '/api/failovers/failover-erp', event: { decision: 'approve', by: 'bob@contoso.com', comment: 'go ahead' } });
    expect(await raised('failover-erp')).toEqual([{ name: FAILOVER_EVENTS.approval, data: { decision: 'approve', by: 'bob@contoso.com', comment: 'go ahead', at: response.body.event.at } }]);
    expect((await api.harness.status('failover-erp')).customStatus).toMatchObject({ phase: 'fence', cancellable: false });
    await api.harness.raiseEvent('failover-erp', FINISH_EVENT, {});
    expect((await api.harness.status('failover-erp')).output).toMatchObject({ outcome: 'completed', approvedBy: 'bob@contoso.com' });
  });

  it('raises a rejection, which aborts the failover at the gate', async () => {
    await start('erp');

    const response = await answer('rejectFailover', 'failover-erp', { comment: 'not now' });

    expect(response.status).toBe(202);
    expect(await api.harness.status('failover-erp')).toMatchObject({ runtimeStatus: 'Completed', output: { outcome: 'aborted', code: 'REJECTED', detail: 'not now' } });
  });

  it('answers 409 when the failover is past its gate', async () => {
    await start('erp');
    await answer('approveFailover', 'failover-erp');

    const again = await answer('approveFailover', 'failover-erp');

    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'NOT_AWAITING_APPROVAL', details: { phase: 'fence' } });
    expect((await raised('failover-erp')).filter((e) => e.name === FAILOVER_EVENTS.approval)).toHaveLength(1);
  });

  it('answers 409 when the failover has finished', async () => {
    await start('erp');
    await answer('rejectFailover', 'failover-erp');

    const late = await answer('approveFailover', 'failover-erp');

    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'FAILOVER_NOT_RUNNING', details: { runtimeStatus: 'Completed', code: 'REJECTED' } });
  });

  it.each([
    ['an id of the wrong shape', 'erp'],
    ['an id naming a pair that is not configured', 'failover-nope'],
    ['the id of a failover that never ran', 'failover-erp'],
  ])('answers 404 for %s', async (_case, instanceId) => {
    const response = await answer('approveFailover', instanceId, { comment: 'x' });

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('UNKNOWN_FAILOVER');
  });

  it('answers 400 for a comment over 1000 characters, raising nothing', async () => {
    await start('erp');

    const response = await answer('approveFailover', 'failover-erp', { comment: 'x'.repeat(1001) });

    expect(response.status).toBe(400);
    expect(response.body.error.problems).toEqual([expect.stringContaining('comment:')]);
    expect(await raised('failover-erp')).toEqual([]);
  });

  describe('with the two-person rule', () => {
    it('forbids the requester from approving their own failover, whatever the case of the name', async () => {
      await start('hr', signedIn('Alice@Contoso.com'));

      const response = await answer('approveFailover', 'failover-hr', {}, signedIn('alice@contoso.COM'));

      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('TWO_PERSON_RULE');
      expect(await raised('failover-hr')).toEqual([]);
    });

    it('forbids an anonymous function-key caller from approving, asking for an Entra identity', async () => {
      await start('hr', signedIn('alice@contoso.com'));

      const response = await answer('approveFailover', 'failover-hr');

      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('IDENTITY_REQUIRED');
      expect(response.body.error.message).toContain('Entra identity');
      expect(await raised('failover-hr')).toEqual([]);
    });

    it('lets another signed-in person approve', async () => {
      await start('hr', signedIn('alice@contoso.com'));

      const response = await answer('approveFailover', 'failover-hr', {}, signedIn('bob@contoso.com'));

      expect(response.status).toBe(202);
      expect((await api.harness.status('failover-hr')).customStatus).toMatchObject({ phase: 'fence' });
    });

    it('lets the requester reject their own failover: stopping it is the safe direction', async () => {
      await start('hr', signedIn('alice@contoso.com'));

      const response = await answer('rejectFailover', 'failover-hr', {}, signedIn('alice@contoso.com'));

      expect(response.status).toBe(202);
      expect((await api.harness.status('failover-hr')).output).toMatchObject({ code: 'REJECTED' });
    });
  });
});

describe('POST /api/failovers/{instanceId}/cancel', () => {
  it('raises the cancel on a failover before its fence, which then ends aborted', async () => {
    await start('erp');

    const response = await answer('cancelFailover', 'failover-erp', { reason: 'the Primary came back' }, signedIn('carol@contoso.com'));

    expect(response.status).toBe(202);
    expect(response.body.event).toMatchObject({ by: 'carol@contoso.com', reason: 'the Primary came back' });
    expect(await api.harness.status('failover-erp')).toMatchObject({ runtimeStatus: 'Completed', output: { outcome: 'aborted', code: 'CANCELLED' } });
  });

  it('answers 409 once the fence is raised, explaining that the failover must finish or stall', async () => {
    await start('erp');
    await answer('approveFailover', 'failover-erp');

    const response = await answer('cancelFailover', 'failover-erp', { reason: 'too late' });

    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('NOT_CANCELLABLE');
    expect(response.body.error.message).toMatch(/fence has been raised.*must finish or stall/);
    expect((await raised('failover-erp')).map((e) => e.name)).toEqual([FAILOVER_EVENTS.approval]);
  });

  it('answers 409 when the failover is not running', async () => {
    await start('erp');
    await answer('rejectFailover', 'failover-erp');

    const response = await answer('cancelFailover', 'failover-erp', { reason: 'x' });

    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('FAILOVER_NOT_RUNNING');
  });

  it('answers 400 without a reason', async () => {
    await start('erp');

    const response = await answer('cancelFailover', 'failover-erp', {});

    expect(response.status).toBe(400);
    expect(response.body.error.problems).toEqual([expect.stringContaining('reason:')]);
  });
});

describe('GET /api/failovers/{instanceId}', () => {
  it('shows the request, the progress and the routes that act on it while it waits at the gate', async () => {
    await start('erp', signedIn('alice@contoso.com'));

    const response = await status('failover-erp');

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      instanceId: 'failover-erp',
      pairId: 'erp',
      runtimeStatus: 'Running',
      running: true,
      request: { trigger: 'requested', requestedBy: 'alice@contoso.com', reason: 'planned move' },
      progress: { phase: 'gate', awaiting: { event: 'approval' }, cancellable: true },
      links: {
        status: '/api/failovers/failover-erp',
        approve: '/api/failovers/failover-erp/approve',
        reject: '/api/failovers/failover-erp/reject',
        cancel: '/api/failovers/failover-erp/cancel',
      },
    });
  });

  it('shows the result with its timeline once finished, and no route that acts on it', async () => {
    await start('erp');
    await answer('approveFailover', 'failover-erp', {}, signedIn('bob@contoso.com'));
    await api.harness.raiseEvent('failover-erp', FINISH_EVENT, {});

    const response = await status('failover-erp');

    expect(response.body).toMatchObject({ runtimeStatus: 'Completed', running: false, result: { outcome: 'completed', code: 'COMPLETED', approvedBy: 'bob@contoso.com', steps: [{ step: 'open' }] } });
    expect(response.body.links).toEqual({ status: '/api/failovers/failover-erp' });
  });

  it('never hands out the durable runtime management URLs', async () => {
    await start('erp');

    const responses = [await status('failover-erp'), await start('erp'), await answer('approveFailover', 'failover-erp')];

    for (const r of responses) expect(r.text).not.toMatch(/runtime\/webhooks|code=|statusQueryGetUri|sendEventPostUri/i);
  });

  it.each(['not-a-failover', 'failover-Bad_Id', 'failover-nope', 'failover-hr'])('answers 404 for %s', async (instanceId) => {
    const response = await status(instanceId);

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('UNKNOWN_FAILOVER');
  });

  it.each([
    ['getFailover', 'failovers/{instanceId}', 'GET'],
    ['approveFailover', 'failovers/{instanceId}/approve', 'POST'],
    ['rejectFailover', 'failovers/{instanceId}/reject', 'POST'],
    ['cancelFailover', 'failovers/{instanceId}/cancel', 'POST'],
  ])('%s is registered as %s %s with a function key and the durable client', (name, route, method) => {
    const bindings = Object.values(getRegistration(name).metadata.bindings);
    expect(bindings.find((b) => b.type === 'httpTrigger')).toMatchObject({ route, methods: [method], authLevel: 'function' });
    expect(bindings.some((b) => b.type === 'durableClient')).toBe(true);
  });
});
