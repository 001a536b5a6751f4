import { HistoryEventType } from '../../../local/durable/historyEvent';
import { getRegistration } from '../../../local/functionsCore';
import { fenceKey } from '../../../shared/contracts/fenceRecord';
import { stateKeys } from '../../../shared/services/stateKeys';
import { heartbeatOf } from '../../shared/domain/failoverFixtures';
import { FINISH_EVENT, OPEN_ACTIVITY, copiedPair, sharedPair, signedIn, startApiFixture, stateSnapshot, type ApiFixture } from './httpApiFixture';

let api: ApiFixture;

beforeAll(async () => {
  api = await startApiFixture('api-request');
});

afterAll(async () => {
  await api.close();
});

beforeEach(async () => {
  await api.reset([copiedPair('erp'), sharedPair('hr')]);
});

const failover = (id: string, body: unknown, headers: Record<string, string> = {}) => api.call('requestFailover', 'POST', { params: { id }, body, headers });

describe('POST /api/pairs/{id}/failover', () => {
  it('starts the pair failover with the request as its input and answers 202 with the status route', async () => {
    const response = await failover('erp', { reason: 'Primary host is being replaced' });

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ instanceId: 'failover-erp', statusUrl: '/api/failovers/failover-erp', alreadyRunning: false, requestedBy: 'function-key caller' });
    expect(response.headers.get('location')).toBe('/api/failovers/failover-erp');
    const status = await api.harness.status('failover-erp');
    expect(status.runtimeStatus).toBe('Running');
    expect(status.input).toMatchObject({ pairId: 'erp', trigger: 'requested', requestedBy: 'function-key caller', reason: 'Primary host is being replaced' });
    expect((status.input as { evidence: string[] }).evidence).toEqual(expect.arrayContaining([expect.stringContaining('failover requested by function-key caller: Primary host is being replaced')]));
    expect(Date.parse((status.input as { requestedAt: string }).requestedAt)).not.toBeNaN();
  });

  it('records the signed-in caller named by the platform as the requester', async () => {
    await failover('erp', { reason: 'planned move' }, signedIn('Alice@Contoso.com'));

    expect((await api.harness.status('failover-erp')).input).toMatchObject({ requestedBy: 'Alice@Contoso.com' });
  });

  it('returns the running instance instead of starting a second one', async () => {
    await failover('erp', { reason: 'first' });

    const second = await failover('erp', { reason: 'second' });

    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ instanceId: 'failover-erp', alreadyRunning: true, sameRequest: false, runtimeStatus: 'Running' });
    const history = await api.harness.history('failover-erp');
    expect(history.filter((e) => e.EventType === HistoryEventType.ExecutionStarted)).toHaveLength(1);
    expect((await api.harness.status('failover-erp')).input).toMatchObject({ reason: 'first' });
  });

  it('answers a repeated idempotency key with the instance it started, running or finished, and never runs it twice', async () => {
    const first = await failover('erp', { reason: 'move', idempotencyKey: 'change-4711' });
    expect(first.status).toBe(202);

    const whileRunning = await failover('erp', { reason: 'move', idempotencyKey: 'change-4711' });
    expect(whileRunning.body).toMatchObject({ instanceId: 'failover-erp', alreadyRunning: true, sameRequest: true });

    await finish('failover-erp');
    const createdAt = (await api.harness.status('failover-erp')).createdAt;
    const afterwards = await failover('erp', { reason: 'move' }, { 'Idempotency-Key': 'change-4711' });

    expect(afterwards.status).toBe(200);
    expect(afterwards.body).toMatchObject({ instanceId: 'failover-erp', alreadyRunning: false, sameRequest: true, runtimeStatus: 'Completed' });
    expect(await api.harness.status('failover-erp')).toMatchObject({ runtimeStatus: 'Completed', createdAt });
  });

  it('starts a new run after a finished one when the key differs', async () => {
    await failover('erp', { reason: 'move', idempotencyKey: 'change-1' });
    await finish('failover-erp');

    const next = await failover('erp', { reason: 'move again', idempotencyKey: 'change-2' });

    expect(next.status).toBe(202);
    expect(await api.harness.status('failover-erp')).toMatchObject({ runtimeStatus: 'Running', input: { reason: 'move again', idempotencyKey: 'change-2' } });
  });

  it('refuses with 409 when the fence record says the pair already failed over, naming the reason and the evidence', async () => {
    await api.state.write(fenceKey('erp'), { pairId: 'erp', epoch: 3, activeHost: 'ADT-SEC01', updatedAt: new Date().toISOString(), reason: 'earlier failover' }, { absent: true });

    const response = await failover('erp', { reason: 'again' });

    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({ code: 'FAILOVER_REFUSED', details: { reason: 'ALREADY_FAILED_OVER' } });
    expect(response.body.error.message).toContain('ALREADY_FAILED_OVER');
    expect(response.body.error.details.evidence).toEqual(expect.arrayContaining([expect.stringContaining('names the Secondary (ADT-SEC01) active at epoch 3')]));
    expect(await api.harness.engine.getStatus('failover-erp')).toBeUndefined();
  });

  it('refuses with 409 when the Secondary already owns the lock', async () => {
    const assessment = heartbeatOf('secondary-active', 'shared', undefined, { pairId: 'hr', checkedAt: new Date().toISOString() });
    await api.state.write(stateKeys.heartbeat('hr'), { version: 1, memory: {}, assessment, outbox: [] }, { absent: true });

    const response = await failover('hr', { reason: 'move' });

    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({ code: 'FAILOVER_REFUSED', details: { reason: 'SECONDARY_ACTIVE' } });
    expect(await api.harness.engine.getStatus('failover-hr')).toBeUndefined();
  });

  describe('dry run', () => {
    it('returns the plan with every step, decision and evidence, and executes nothing', async () => {
      const backup = await api.putBackup('erp', 3600);
      await api.state.write(stateKeys.control('erp'), { version: 1, restartsInPlace: [] }, { absent: true });
      const before = await stateSnapshot(api.stateContainer);
      expect(before).toHaveLength(1);

      const response = await failover('erp', { reason: 'what would happen?', dryRun: true }, signedIn('bob@contoso.com'));

      expect(response.status).toBe(200);
      const { plan } = response.body;
      expect(response.body.dryRun).toBe(true);
      expect(plan).toMatchObject({ pairId: 'erp', strategy: 'copied', trigger: 'requested', wouldStart: true, decision: { action: 'failover', reason: 'REQUESTED' } });
      expect((plan.steps as { step: string; action: string }[]).map((s) => `${s.step}:${s.action}`)).toEqual([
        'open:run',
        'preflight:run',
        'gate:wait',
        'fence:run',
        'restore:run',
        'start:run',
        'verify:run',
        'close:run',
      ]);
      expect((plan.gate.reasons as { code: string }[]).map((r) => r.code)).toEqual(expect.arrayContaining(['MANUAL_POLICY', 'PRIMARY_NOT_CONFIRMED_STOPPED']));
      expect(plan.restore.backup.name).toBe(backup);
      expect(plan.fence).toEqual({ currentEpoch: 0, nextEpoch: 1, activeHost: 'ADT-PRI01', newActiveHost: 'ADT-SEC01' });
      expect(plan.decision.evidence).toEqual(expect.arrayContaining([expect.stringContaining('failover requested by bob@contoso.com: what would happen?')]));
      expect(api.harness.activityCalls).toEqual([]);
      expect(await api.harness.engine.getStatus('failover-erp')).toBeUndefined();
      expect(await stateSnapshot(api.stateContainer)).toEqual(before);
    });

    it('shows the refusal a real request would get', async () => {
      await api.state.write(fenceKey('erp'), { pairId: 'erp', epoch: 1, activeHost: 'ADT-SEC01', updatedAt: new Date().toISOString(), reason: 'x' }, { absent: true });

      const response = await failover('erp', { reason: 'check', dryRun: true });

      expect(response.status).toBe(200);
      expect(response.body.plan).toMatchObject({ wouldStart: false, refusal: { reason: 'ALREADY_FAILED_OVER' }, steps: [] });
    });

    it('names the failover already running', async () => {
      await failover('erp', { reason: 'real' });

      const response = await failover('erp', { reason: 'check', dryRun: true });

      expect(response.body.running).toMatchObject({ instanceId: 'failover-erp', running: true, phase: 'gate' });
    });
  });

  describe('bad requests', () => {
    it.each<[string, unknown, string]>([
      ['no reason', {}, 'reason:'],
      ['an empty reason', { reason: '   ' }, 'reason:'],
      ['a reason over 1000 characters', { reason: 'x'.repeat(1001) }, 'reason:'],
      ['a dryRun that is not a boolean', { reason: 'r', dryRun: 'yes' }, 'dryRun:'],
      ['an idempotency key over 128 characters', { reason: 'r', idempotencyKey: 'k'.repeat(129) }, 'idempotencyKey:'],
      ['an unknown field', { reason: 'r', dryrun: true }, 'dryrun'],
      ['a body that is not an object', ['reason'], '(body):'],
    ])('answers 400 naming the problem for %s', async (_case, body, problem) => {
      const response = await failover('erp', body);

      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('INVALID_REQUEST');
      expect(response.body.error.problems).toEqual(expect.arrayContaining([expect.stringContaining(problem)]));
      expect(await api.harness.engine.getStatus('failover-erp')).toBeUndefined();
    });

    it('answers 400 when the Idempotency-Key header and the body disagree', async () => {
      const response = await failover('erp', { reason: 'r', idempotencyKey: 'a' }, { 'Idempotency-Key': 'b' });

      expect(response.status).toBe(400);
      expect(response.body.error.problems).toEqual(['idempotencyKey: differs from the Idempotency-Key header']);
    });

    it('answers 400 for malformed JSON', async () => {
      const response = await failover('erp', '{"reason": "unterminated', { 'content-type': 'application/json' });

      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('MALFORMED_JSON');
    });

    it('answers 415 for a body that is not declared as JSON', async () => {
      const response = await failover('erp', 'reason=move', { 'content-type': 'application/x-www-form-urlencoded' });

      expect(response.status).toBe(415);
      expect(response.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers 413 for a body over 16 KiB', async () => {
      const response = await failover('erp', { reason: 'r', padding: 'x'.repeat(17 * 1024) });

      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('BODY_TOO_LARGE');
    });

    it('answers 404 for a pair that is not configured', async () => {
      const response = await failover('nope', { reason: 'r' });

      expect(response.status).toBe(404);
      expect(response.body.error).toMatchObject({ code: 'UNKNOWN_PAIR' });
    });
  });

  it('is registered as POST pairs/{id}/failover with a function key and the durable client', () => {
    const { metadata } = getRegistration('requestFailover');
    const bindings = Object.values(metadata.bindings);
    expect(bindings.find((b) => b.direction === 'in' && b.type === 'httpTrigger')).toMatchObject({ route: 'pairs/{id}/failover', methods: ['POST'], authLevel: 'function' });
    expect(bindings.some((b) => b.type === 'durableClient')).toBe(true);
  });
});

async function finish(instanceId: string): Promise<void> {
  await api.call('approveFailover', 'POST', { params: { instanceId } });
  await api.harness.raiseEvent(instanceId, FINISH_EVENT, {});
  expect(await api.harness.status(instanceId)).toMatchObject({ runtimeStatus: 'Completed' });
  expect(api.harness.callsTo(OPEN_ACTIVITY).length).toBeGreaterThan(0);
}
