import { getRegistration } from '../../../local/functionsCore';
import { fenceKey } from '../../../shared/contracts/fenceRecord';
import { stateKeys } from '../../../shared/services/stateKeys';
import { backupOf, heartbeatOf, primaryAgent } from '../../shared/domain/failoverFixtures';
import { copiedPair, sharedPair, signedIn, startApiFixture, type ApiFixture } from './httpApiFixture';

let api: ApiFixture;

beforeAll(async () => {
  api = await startApiFixture('api-pairs');
});

afterAll(async () => {
  await api.close();
});

beforeEach(async () => {
  await api.reset([copiedPair('erp'), sharedPair('hr', { failover: { coolDownSeconds: 3600 } })]);
});

const iso = (secondsAgo: number): string => new Date(Date.now() - secondsAgo * 1000).toISOString();

async function recordMonitors(): Promise<{ since: string }> {
  const since = iso(700);
  const assessment = heartbeatOf('stale', 'copied', primaryAgent('silent'), { checkedAt: iso(20), since, lastPrimaryHeartbeatUtc: iso(650) });
  const decision = { action: 'failover', reason: 'PRIMARY_HOST_LOST', evidence: ['the Primary host may be lost'], decidedAt: iso(20), since: iso(80) };
  await api.state.write(stateKeys.heartbeat('erp'), { version: 1, memory: {}, assessment, outbox: [], decision }, { absent: true });
  const summary = { name: 'erp/backup.bak', takenAt: iso(3600), sourceMachine: 'ADT-PRI01', sizeBytes: 1024, sha256: 'ab'.repeat(32) };
  const backup = { ...backupOf(3600), checkedAt: iso(30), newest: summary, newestValid: summary };
  await api.state.write(stateKeys.backup('erp'), { version: 1, confirmed: { state: 'ok', since: iso(9000) }, assessment: backup, outbox: [] }, { absent: true });
  return { since };
}

describe('GET /api/pairs', () => {
  it('lists every configured pair: unchecked, the Primary active at epoch 0, no maintenance, no failover', async () => {
    const response = await api.call('listPairs', 'GET');

    expect(response.status).toBe(200);
    expect(response.body.pairs).toEqual([
      {
        id: 'erp',
        strategy: 'copied',
        hosts: { primary: 'ADT-PRI01', secondary: 'ADT-SEC01' },
        heartbeat: null,
        backup: null,
        active: { side: 'primary', host: 'ADT-PRI01', epoch: 0, fenceRecord: false },
        maintenance: { active: false },
        failover: null,
      },
      expect.objectContaining({ id: 'hr', strategy: 'shared', failover: null }),
    ]);
  });

  it("shows the monitors' assessments with their ages, the fence, maintenance, the running failover and the last decision", async () => {
    const { since } = await recordMonitors();
    await api.state.write(fenceKey('hr'), { pairId: 'hr', epoch: 4, activeHost: 'adt-sec01.corp.example', updatedAt: iso(100), reason: 'failover' }, { absent: true });
    await api.call('setMaintenance', 'PUT', { params: { id: 'hr' }, body: { reason: 'patching' }, headers: signedIn('dave@contoso.com') });
    await api.call('requestFailover', 'POST', { params: { id: 'erp' }, body: { reason: 'move' } });

    const { body } = await api.call('listPairs', 'GET');
    const [erp, hr] = body.pairs;

    expect(erp.heartbeat).toMatchObject({ state: 'stale', since, observed: 'stale', primaryDown: { suspected: true } });
    expect(erp.heartbeat.checkAgeSeconds).toBeGreaterThanOrEqual(20);
    expect(erp.heartbeat.primaryHeartbeatAgeSeconds).toBeGreaterThanOrEqual(600);
    expect(erp.backup).toMatchObject({ state: 'ok', newestValid: { sha256: 'ab'.repeat(32) } });
    expect(erp.backup.newest.ageSeconds).toBeGreaterThanOrEqual(3600);
    expect(erp.failover).toMatchObject({ instanceId: 'failover-erp', running: true, phase: 'gate', statusUrl: '/api/failovers/failover-erp' });
    expect(erp.lastDecision).toMatchObject({ action: 'failover', reason: 'PRIMARY_HOST_LOST' });
    expect(hr.active).toMatchObject({ side: 'secondary', host: 'adt-sec01.corp.example', epoch: 4, fenceRecord: true });
    expect(hr.maintenance).toMatchObject({ active: true, by: 'dave@contoso.com', reason: 'patching' });
  });

  it('leaves a finished failover out of the list', async () => {
    await api.call('requestFailover', 'POST', { params: { id: 'erp' }, body: { reason: 'move' } });
    await api.call('rejectFailover', 'POST', { params: { instanceId: 'failover-erp' } });

    const { body } = await api.call('listPairs', 'GET');

    expect(body.pairs[0].failover).toBeNull();
  });

  it('shows an unreadable record as that part’s error and the rest of the pair as usual', async () => {
    await recordMonitors();
    await api.stateContainer.getBlockBlobClient(`${stateKeys.control('erp')}.json`).upload('{"version": 7}', 14);

    const response = await api.call('listPairs', 'GET');

    expect(response.status).toBe(200);
    expect(response.body.pairs[0].maintenance).toEqual({ error: { code: 'CONTROL_RECORD_INVALID', message: expect.stringContaining('fix or remove it by hand') } });
    expect(response.body.pairs[0].heartbeat).toMatchObject({ state: 'stale' });
  });
});

describe('GET /api/pairs/{id}', () => {
  it('shows the full assessments with evidence, settings, the control record with the cool-down, and the failover even when finished', async () => {
    await recordMonitors();
    const completedAt = iso(600);
    await api.state.write(stateKeys.control('hr'), { version: 1, restartsInPlace: [iso(300)], lastFailover: { instanceId: 'failover-hr', completedAt } }, { absent: true });
    await api.call('requestFailover', 'POST', { params: { id: 'hr' }, body: { reason: 'move' } });
    await api.call('rejectFailover', 'POST', { params: { instanceId: 'failover-hr' } });

    const hr = await api.call('getPair', 'GET', { params: { id: 'hr' } });
    const erp = await api.call('getPair', 'GET', { params: { id: 'erp' } });

    expect(hr.status).toBe(200);
    expect(hr.body).toMatchObject({
      id: 'hr',
      instanceName: 'Default',
      policy: { staleThresholdSeconds: 300 },
      failoverSettings: { coolDownSeconds: 3600, twoPersonRule: false },
      heartbeatAssessment: null,
      control: {
        restartsInPlace: [expect.any(String)],
        lastFailover: { instanceId: 'failover-hr', completedAt },
        coolDown: { active: true, until: new Date(Date.parse(completedAt) + 3600_000).toISOString() },
      },
      failover: { instanceId: 'failover-hr', running: false, outcome: 'aborted', code: 'REJECTED' },
    });
    expect(erp.body.heartbeatAssessment).toMatchObject({ state: 'stale', agents: { primary: { alive: false } } });
    expect(erp.body.backupAssessment).toMatchObject({ state: 'ok' });
    expect(erp.body.failover).toBeNull();
  });

  it('answers 404 for a pair that is not configured', async () => {
    const response = await api.call('getPair', 'GET', { params: { id: 'nope' } });

    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'UNKNOWN_PAIR', message: "No pair with id 'nope' is configured" } });
  });

  it('never shows a secret of the configuration', async () => {
    const response = await api.call('getPair', 'GET', { params: { id: 'erp' } });

    expect(response.text).not.toContain('Test-Passw0rd');
    expect(response.text).not.toContain('passwordSetting');
  });
});

describe('PUT and DELETE /api/pairs/{id}/maintenance', () => {
  it('switches maintenance on for the caller until a time, and off again', async () => {
    const until = new Date(Date.now() + 3600_000).toISOString();

    const on = await api.call('setMaintenance', 'PUT', { params: { id: 'erp' }, body: { reason: 'SQL patching', until }, headers: signedIn('erin@contoso.com') });

    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ pairId: 'erp', maintenance: { active: true, by: 'erin@contoso.com', reason: 'SQL patching', until } });
    expect((await api.call('getPair', 'GET', { params: { id: 'erp' } })).body.maintenance).toMatchObject({ active: true, until });

    const off = await api.call('clearMaintenance', 'DELETE', { params: { id: 'erp' }, headers: signedIn('frank@contoso.com') });

    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ cleared: true, clearedBy: 'frank@contoso.com', previous: { by: 'erin@contoso.com' }, maintenance: { active: false } });
    expect((await api.call('getPair', 'GET', { params: { id: 'erp' } })).body.maintenance).toEqual({ active: false });
  });

  it('clears maintenance that is not on without an error', async () => {
    const response = await api.call('clearMaintenance', 'DELETE', { params: { id: 'erp' } });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ cleared: false });
  });

  it.each<[string, unknown, string]>([
    ['no reason', {}, 'reason:'],
    ['an end in the past', { reason: 'r', until: '2020-01-01T00:00:00Z' }, 'until: must be in the future'],
    ['an end that is not a time', { reason: 'r', until: 'tomorrow' }, 'until: must be an ISO 8601 time'],
  ])('answers 400 for %s, writing nothing', async (_case, body, problem) => {
    const response = await api.call('setMaintenance', 'PUT', { params: { id: 'erp' }, body });

    expect(response.status).toBe(400);
    expect(response.body.error.problems).toEqual([expect.stringContaining(problem)]);
    expect(await api.state.read(stateKeys.control('erp'))).toBeUndefined();
  });

  it('answers 404 for a pair that is not configured', async () => {
    expect((await api.call('setMaintenance', 'PUT', { params: { id: 'nope' }, body: { reason: 'r' } })).status).toBe(404);
    expect((await api.call('clearMaintenance', 'DELETE', { params: { id: 'nope' } })).status).toBe(404);
  });
});

describe('POST /api/pairs/{id}/acknowledge', () => {
  it('acknowledges the last failover for the caller, ending the cool-down', async () => {
    await api.state.write(stateKeys.control('hr'), { version: 1, restartsInPlace: [], lastFailover: { instanceId: 'failover-hr', completedAt: iso(60) } }, { absent: true });

    const response = await api.call('acknowledgeFailover', 'POST', { params: { id: 'hr' }, body: { comment: 'checked the Secondary' }, headers: signedIn('gina@contoso.com') });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ pairId: 'hr', alreadyAcknowledged: false, lastFailover: { instanceId: 'failover-hr', acknowledgedBy: 'gina@contoso.com' } });
    const pair = await api.call('getPair', 'GET', { params: { id: 'hr' } });
    expect(pair.body.control.coolDown).toEqual({ active: false });
  });

  it('answers 409 when the pair has no failover to acknowledge', async () => {
    const response = await api.call('acknowledgeFailover', 'POST', { params: { id: 'erp' } });

    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('NOTHING_TO_ACKNOWLEDGE');
  });
});

describe('registrations', () => {
  it.each([
    ['listPairs', 'pairs', 'GET', true],
    ['getPair', 'pairs/{id}', 'GET', true],
    ['setMaintenance', 'pairs/{id}/maintenance', 'PUT', false],
    ['clearMaintenance', 'pairs/{id}/maintenance', 'DELETE', false],
    ['acknowledgeFailover', 'pairs/{id}/acknowledge', 'POST', false],
  ])('%s is %s %s behind a function key', (name, route, method, durable) => {
    const bindings = Object.values(getRegistration(name).metadata.bindings);
    expect(bindings.find((b) => b.type === 'httpTrigger')).toMatchObject({ route, methods: [method], authLevel: 'function' });
    expect(bindings.some((b) => b.type === 'durableClient')).toBe(durable);
  });
});
