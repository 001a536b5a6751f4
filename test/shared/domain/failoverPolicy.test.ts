import { DEFAULT_FAILOVER_POLICY_SETTINGS, decideFailover, type FailoverDecision } from '../../../shared/domain/failoverPolicy';
import type { Strategy } from '../../../shared/domain/pair';
import {
  AGENT_KINDS,
  STATES,
  TAKEOVER_DELAY,
  ago,
  backupOf,
  heartbeatOf,
  inputFor,
  now,
  primaryAgent,
  type AgentKind,
  type HeartbeatKind,
} from './failoverFixtures';

const STRATEGIES: readonly Strategy[] = ['copied', 'shared'];
const request = { requestedBy: 'ops@example.com', reason: 'planned move' };
const every = <T, U>(xs: readonly T[], ys: readonly U[]): [T, U][] => xs.flatMap((x) => ys.map((y): [T, U] => [x, y]));

describe('decideFailover: the decision table', () => {
  it.each<[string, HeartbeatKind, AgentKind, number, Strategy, string, string]>([
    ['a fresh heartbeat with the service running', 'healthy', 'running', 0, 'copied', 'none', 'PRIMARY_HEALTHY'],
    ['a fresh heartbeat with a silent agent', 'healthy', 'silent', 0, 'copied', 'none', 'PRIMARY_HEALTHY'],
    ['a fresh heartbeat with a stop ordered', 'healthy', 'stop-ordered', 0, 'copied', 'none', 'PRIMARY_HEALTHY'],
    ['a fresh heartbeat with the service crashed', 'healthy', 'crashed', 0, 'copied', 'restart-in-place', 'SERVICE_STOPPED_ON_ITS_OWN'],
    ['a fresh heartbeat with the service crashed and the restarts used up', 'healthy', 'crashed', 3, 'copied', 'failover', 'RESTARTS_EXHAUSTED'],
    ['a fresh shared heartbeat with the service crashed and the restarts used up', 'healthy', 'crashed', 3, 'shared', 'failover', 'RESTARTS_EXHAUSTED'],
    ['an unconfirmed stale heartbeat with the service crashed and the restarts used up', 'stale-pending', 'crashed', 3, 'copied', 'failover', 'RESTARTS_EXHAUSTED'],
    ['a fresh heartbeat with a stop ordered and the restarts used up', 'healthy', 'stop-ordered', 3, 'copied', 'none', 'PRIMARY_HEALTHY'],
    ['a stale heartbeat with the service crashed', 'stale', 'crashed', 0, 'copied', 'restart-in-place', 'SERVICE_STOPPED_ON_ITS_OWN'],
    ['a stale heartbeat with the service crashed after two restarts', 'stale', 'crashed', 2, 'shared', 'restart-in-place', 'SERVICE_STOPPED_ON_ITS_OWN'],
    ['a stale heartbeat with the service crashed and the restarts used up', 'stale', 'crashed', 3, 'copied', 'failover', 'RESTARTS_EXHAUSTED'],
    ['a stale shared heartbeat with the service crashed and the restarts used up', 'stale', 'crashed', 3, 'shared', 'failover', 'RESTARTS_EXHAUSTED'],
    ['a stale heartbeat with the agent silent', 'stale', 'silent', 0, 'copied', 'failover', 'PRIMARY_HOST_LOST'],
    ['a stale shared heartbeat with the agent silent', 'stale', 'silent', 0, 'shared', 'failover', 'PRIMARY_HOST_LOST'],
    ['a stale heartbeat with the agent just gone silent', 'stale', 'silent-briefly', 0, 'copied', 'failover', 'PRIMARY_HOST_LOST'],
    ['a stale heartbeat with no agent ever heard from', 'stale', 'absent', 0, 'shared', 'failover', 'PRIMARY_HOST_LOST'],
    ['a stale heartbeat with the service running', 'stale', 'running', 0, 'copied', 'alert', 'PRIMARY_HOST_ALIVE'],
    ['a stale heartbeat with the service start-pending', 'stale', 'hung', 0, 'shared', 'alert', 'PRIMARY_HOST_ALIVE'],
    ['a stale heartbeat with a stop ordered', 'stale', 'stop-ordered', 0, 'copied', 'alert', 'PRIMARY_STOP_ORDERED'],
    ['an unconfirmed stale heartbeat with the agent silent (the two signals confirm each other)', 'stale-pending', 'silent', 0, 'copied', 'failover', 'PRIMARY_HOST_LOST'],
    ['an unconfirmed stale heartbeat with no agent ever heard from', 'stale-pending', 'absent', 0, 'shared', 'none', 'PENDING_CONFIRMATION'],
    ['an unconfirmed stale heartbeat with the service running', 'stale-pending', 'running', 0, 'shared', 'none', 'PENDING_CONFIRMATION'],
    ['an unconfirmed stale heartbeat with the service crashed', 'stale-pending', 'crashed', 0, 'copied', 'restart-in-place', 'SERVICE_STOPPED_ON_ITS_OWN'],
    ['an unreachable copied database with the agent silent for the takeover delay', 'unreachable', 'silent', 0, 'copied', 'failover', 'PRIMARY_HOST_UNREACHABLE'],
    ['an unreachable copied database with the agent just gone silent', 'unreachable', 'silent-briefly', 0, 'copied', 'alert', 'WAITING_FOR_TAKEOVER_DELAY'],
    ['an unreachable copied database with no agent ever heard from', 'unreachable', 'absent', 0, 'copied', 'alert', 'UNREACHABLE_NOT_CORROBORATED'],
    ['an unreachable copied database with the service running', 'unreachable', 'running', 0, 'copied', 'alert', 'PRIMARY_HOST_ALIVE'],
    ['an unreachable copied database with a stop ordered', 'unreachable', 'stop-ordered', 0, 'copied', 'alert', 'PRIMARY_STOP_ORDERED'],
    ['an unreachable copied database with the service crashed', 'unreachable', 'crashed', 0, 'copied', 'restart-in-place', 'SERVICE_STOPPED_ON_ITS_OWN'],
    ['an unreachable copied database with the service crashed and the restarts used up', 'unreachable', 'crashed', 3, 'copied', 'failover', 'RESTARTS_EXHAUSTED'],
    ['an unconfirmed unreachable copied database with the agent silent', 'unreachable-pending', 'silent', 0, 'copied', 'none', 'PENDING_CONFIRMATION'],
    ['an unreachable shared database with the agent silent', 'unreachable', 'silent', 0, 'shared', 'alert', 'SHARED_DATABASE_UNREACHABLE'],
    ['an unreachable shared database with the service crashed', 'unreachable', 'crashed', 0, 'shared', 'restart-in-place', 'SERVICE_STOPPED_ON_ITS_OWN'],
    ['an unreachable shared database with the service crashed and the restarts used up', 'unreachable', 'crashed', 3, 'shared', 'alert', 'SHARED_DATABASE_UNREACHABLE'],
    ['a released lock with the service stopped by a person', 'released', 'stop-ordered', 0, 'copied', 'alert', 'LOCK_RELEASED'],
    ['a released lock with the service stopped on its own', 'released', 'crashed', 0, 'shared', 'alert', 'LOCK_RELEASED'],
    ['a released lock with the agent silent', 'released', 'silent', 0, 'copied', 'alert', 'LOCK_RELEASED'],
    ['the Secondary owning the lock with the Primary agent silent', 'secondary-active', 'silent', 0, 'copied', 'alert', 'SECONDARY_ACTIVE'],
    ['the Secondary owning the lock with the Primary service crashed', 'secondary-active', 'crashed', 0, 'shared', 'alert', 'SECONDARY_ACTIVE'],
    ['a third machine owning the lock with the Primary agent silent', 'unknown-owner', 'silent', 0, 'copied', 'alert', 'UNKNOWN_OWNER'],
    ['a third machine owning the lock with the Primary service crashed', 'unknown-owner', 'crashed', 0, 'shared', 'alert', 'UNKNOWN_OWNER'],
    ['a stale heartbeat with the Primary agent fenced', 'stale', 'fenced', 0, 'copied', 'none', 'ALREADY_FAILED_OVER'],
    ['the Secondary owning the lock with the Primary agent fenced', 'secondary-active', 'fenced', 0, 'shared', 'none', 'ALREADY_FAILED_OVER'],
  ])('given %s (%s, agent %s, %i restarts, %s) it decides %s %s', (_name, state, agent, restartsUsed, strategy, action, reason) => {
    const d = decideFailover(inputFor({ state, agent, restartsUsed, strategy }));
    expect([d.action, d.reason]).toEqual([action, reason]);
    expect(d.evidence.length).toBeGreaterThan(1);
  });

  it('fails over a lost host on its own when nothing needs a person', () => {
    const d = decideFailover(inputFor({ state: 'stale', agent: 'silent' }));
    expect(d).toMatchObject({ action: 'failover', trigger: 'automatic', startsAutomatically: true, gate: { required: false, reasons: [] } });
  });

  it('numbers the restart in place within its window', () => {
    const d = decideFailover(inputFor({ state: 'stale', agent: 'crashed', restartsUsed: 1 }));
    expect(d).toMatchObject({ action: 'restart-in-place', restart: { attempt: 2, max: 3, windowSeconds: 900 } });
  });

  it('quotes the heartbeat and the agent in the evidence', () => {
    const d = decideFailover(inputFor({ state: 'stale', agent: 'silent' }));
    expect(d.evidence).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/database heartbeat: stale .* Primary heartbeat 10 min 0 s old \(takeover delay 5 min 0 s\)/),
        'Primary agent (ADT-PRI01): silent for 10 min 0 s, adTempus service running',
      ]),
    );
  });

  it('documents its defaults: 3 restarts in 15 minutes and a 6 hour cool-down', () => {
    expect(DEFAULT_FAILOVER_POLICY_SETTINGS).toEqual({ maxRestartsInPlace: 3, restartWindowSeconds: 900, coolDownSeconds: 21_600 });
  });
});

describe('decideFailover: the approval gate on a failover', () => {
  it.each<[string, Partial<Parameters<typeof inputFor>[0]>, Partial<Parameters<typeof inputFor>[1]>, string[]]>([
    ['the policy is manual', { automaticFailover: false }, {}, ['MANUAL_POLICY']],
    ['the backup is older than the RPO budget', {}, { backup: backupOf(2 * 86_400) }, ['DATA_LOSS_OVER_RPO']],
    ['there is no backup', {}, { backup: backupOf(undefined) }, ['DATA_LOSS_OVER_RPO']],
    ['an unacknowledged failover was an hour ago', {}, { previousFailover: { at: ago(3600), acknowledged: false } }, ['COOL_DOWN_ACTIVE']],
    ['an acknowledged failover was an hour ago', {}, { previousFailover: { at: ago(3600), acknowledged: true } }, []],
    ['an unacknowledged failover was a day ago', {}, { previousFailover: { at: ago(86_400), acknowledged: false } }, []],
    [
      'everything that can hold holds',
      { automaticFailover: false },
      { backup: backupOf(2 * 86_400), previousFailover: { at: ago(60), acknowledged: false } },
      ['MANUAL_POLICY', 'DATA_LOSS_OVER_RPO', 'COOL_DOWN_ACTIVE'],
    ],
  ])('a lost host waits for a person when %s', (_name, situation, extra, codes) => {
    const d = decideFailover(inputFor({ state: 'stale', agent: 'silent', ...situation }, extra));
    if (d.action !== 'failover') throw new Error(`expected a failover, got ${d.action}`);
    expect(d.gate.reasons.map((r) => r.code)).toEqual(codes);
    expect(d.startsAutomatically).toBe(codes.length === 0);
    for (const code of codes) expect(d.evidence.join('\n')).toContain(`approval needed (${code})`);
  });

  it('honours a shorter cool-down from the settings', () => {
    const d = decideFailover(inputFor({ state: 'stale', agent: 'silent' }, { previousFailover: { at: ago(3600), acknowledged: false }, settings: { coolDownSeconds: 1800 } }));
    expect(d).toMatchObject({ action: 'failover', startsAutomatically: true });
  });
});

describe('decideFailover: a person asks', () => {
  it.each(STATES.filter((s) => s !== 'secondary-active'))('fails over on request from a %s state, through the gate', (state) => {
    const d = decideFailover(inputFor({ state, agent: 'running' }, { request }));
    expect(d).toMatchObject({ action: 'failover', reason: 'REQUESTED', trigger: 'requested', requestedBy: 'ops@example.com' });
    expect(d.evidence[0]).toBe('failover requested by ops@example.com: planned move');
  });

  it('refuses a request while the Secondary already owns the lock', () => {
    expect(decideFailover(inputFor({ state: 'secondary-active', agent: 'silent' }, { request }))).toMatchObject({ action: 'alert', reason: 'SECONDARY_ACTIVE' });
  });

  it('refuses a request once the fence record names the Secondary', () => {
    const fence = { pairId: 'erp', epoch: 4, activeHost: 'adt-sec01.corp.example', updatedAt: ago(600), reason: 'failover' };
    expect(decideFailover(inputFor({ state: 'stale', agent: 'silent' }, { request, fence }))).toMatchObject({ action: 'none', reason: 'ALREADY_FAILED_OVER' });
  });

  it('lets a request through maintenance mode, still through the gate', () => {
    const d = decideFailover(inputFor({ state: 'stale', agent: 'silent' }, { request, maintenance: true }));
    expect(d).toMatchObject({ action: 'failover', reason: 'REQUESTED', startsAutomatically: true });
    expect(d.evidence).toContain('maintenance mode is on: a requested failover still goes through the gate');
  });

  it('keeps the manual policy as a gate reason for a request', () => {
    const d = decideFailover(inputFor({ state: 'stale', agent: 'silent', automaticFailover: false }, { request }));
    expect(d).toMatchObject({ action: 'failover', gate: { required: true, reasons: [{ code: 'MANUAL_POLICY' }] } });
  });
});

describe('decideFailover: safety rules', () => {
  const automatic = (d: FailoverDecision): boolean => d.action === 'failover' && d.trigger === 'automatic';

  // A heartbeat fresh only because the service stopped moments ago belongs to no working Primary:
  // the one exception is a service a live agent confirms stopped on its own, restarts used up.
  it.each(every(AGENT_KINDS.filter((a) => a !== 'crashed'), STRATEGIES))('never fails over while the Primary heartbeat is fresh (agent %s, %s database)', (agent, strategy) => {
    for (const restartsUsed of [0, 3, 10]) {
      const d = decideFailover(inputFor({ state: 'healthy', agent, strategy, restartsUsed }, { backup: backupOf(60) }));
      expect(d.action).not.toBe('failover');
    }
  });

  it.each(STRATEGIES)('fails over a crashed service on a live host at once once the restarts are used up, without waiting for the takeover delay (%s)', (strategy) => {
    for (const lastBeat of [0, 5, TAKEOVER_DELAY]) {
      const agent = primaryAgent('crashed');
      const heartbeat = heartbeatOf('healthy', strategy, agent, { heartbeatAgeSeconds: lastBeat, lastPrimaryHeartbeatUtc: ago(lastBeat) });
      const d = decideFailover(inputFor({ state: 'healthy', agent: 'crashed', strategy, restartsUsed: 3 }, { heartbeat }));
      expect(d).toMatchObject({ action: 'failover', reason: 'RESTARTS_EXHAUSTED', trigger: 'automatic', startsAutomatically: true, gate: { required: false } });
      expect(d.evidence[0]).toMatch(/live agent confirms the service stopped/);
    }
  });

  it('fails over at once with restarts in place disabled', () => {
    const d = decideFailover(inputFor({ state: 'healthy', agent: 'crashed' }, { settings: { maxRestartsInPlace: 0 } }));
    expect([d.action, d.reason]).toEqual(['failover', 'RESTARTS_EXHAUSTED']);
  });

  it.each([
    ['the agent silent', 'silent'],
    ['the agent silent only briefly', 'silent-briefly'],
    ['no agent ever heard from', 'absent'],
    ['a stop ordered', 'stop-ordered'],
    ['the service start-pending', 'hung'],
  ] as const)('still waits for the takeover delay when no live agent confirms a stop on its own (%s)', (_name, agent) => {
    // A silent agent and a check that read the heartbeat already past the delay confirm each other (case below).
    const states = agent === 'silent' || agent === 'silent-briefly' ? (['healthy'] as const) : (['healthy', 'stale-pending'] as const);
    for (const state of states) {
      const d = decideFailover(inputFor({ state, agent, restartsUsed: 3 }));
      expect(d.action).not.toBe('failover');
    }
    const a = primaryAgent(agent);
    const young = heartbeatOf('stale', 'copied', a, { heartbeatAgeSeconds: TAKEOVER_DELAY - 1, lastPrimaryHeartbeatUtc: ago(TAKEOVER_DELAY - 1), primaryDown: { suspected: true, conclusive: true, since: ago(TAKEOVER_DELAY - 1) } });
    expect(decideFailover(inputFor({ state: 'stale', agent, restartsUsed: 3 }, { heartbeat: young })).action).not.toBe('failover');
  });

  it.each(every(['running', 'crashed', 'silent'] as AgentKind[], STRATEGIES))(
    'fails over a fresh Primary only when a person asks, and then always needs approval (agent %s, %s)',
    (agent, strategy) => {
      const d = decideFailover(inputFor({ state: 'healthy', agent, strategy }, { request, backup: backupOf(60) }));
      if (d.action !== 'failover') throw new Error(`expected a failover, got ${d.action}`);
      expect(d.startsAutomatically).toBe(false);
      expect(d.gate.reasons.map((r) => r.code)).toContain('PRIMARY_HEALTHY');
    },
  );

  it('never fails over automatically unless the Primary heartbeat is known to be older than the takeover delay or a live agent confirms the service stopped, in any situation', () => {
    for (const [state, agent] of every<HeartbeatKind, AgentKind>([...STATES, 'stale-pending', 'unreachable-pending'], AGENT_KINDS.filter((a) => a !== 'crashed'))) {
      for (const [strategy, restartsUsed] of every(STRATEGIES, [0, 3])) {
        for (const lastBeat of [0, TAKEOVER_DELAY - 1, TAKEOVER_DELAY]) {
          const a = primaryAgent(agent);
          const heartbeat = heartbeatOf(state, strategy, a, { heartbeatAgeSeconds: lastBeat, lastPrimaryHeartbeatUtc: ago(lastBeat), ...(state.startsWith('stale') ? { primaryDown: { suspected: true, conclusive: true, since: ago(lastBeat) } } : {}) });
          const d = decideFailover(inputFor({ state, agent, strategy, restartsUsed }, { heartbeat }));
          expect(automatic(d)).toBe(false);
        }
      }
    }
  });

  it.each(every(AGENT_KINDS, [0, 3]))('treats an unreachable shared database as database trouble and never fails over (agent %s, %i restarts)', (agent, restartsUsed) => {
    const d = decideFailover(inputFor({ state: 'unreachable', agent, strategy: 'shared', restartsUsed }));
    expect(d.action).not.toBe('failover');
    if (agent !== 'crashed' && agent !== 'fenced') expect(d).toMatchObject({ action: 'alert', reason: 'SHARED_DATABASE_UNREACHABLE' });
    if (agent === 'crashed' && restartsUsed === 3) expect(d.reason).toBe('SHARED_DATABASE_UNREACHABLE');
  });

  it.each([
    [0, 'alert'],
    [TAKEOVER_DELAY - 1, 'alert'],
    [TAKEOVER_DELAY, 'failover'],
    [TAKEOVER_DELAY + 1, 'failover'],
  ])('fails over an unreachable copied database only after the Primary agent is silent for the takeover delay (silent %i s: %s)', (silence, action) => {
    const agent = primaryAgent('silent', silence);
    const heartbeat = heartbeatOf('unreachable', 'copied', agent);
    expect(decideFailover(inputFor({ state: 'unreachable', agent: 'silent' }, { heartbeat })).action).toBe(action);
  });

  it('restarts a service that stopped on its own in place up to N times in the window before any failover', () => {
    const restarts: string[] = [];
    const actions: string[] = [];
    for (let check = 0; check < 5; check++) {
      const d = decideFailover(inputFor({ state: 'stale', agent: 'crashed' }, { restartsInPlace: restarts }));
      actions.push(d.action);
      if (d.action === 'restart-in-place') restarts.push(ago(60 * (5 - check)));
    }
    expect(actions).toEqual(['restart-in-place', 'restart-in-place', 'restart-in-place', 'failover', 'failover']);
  });

  it('restarts in place again once earlier restarts have left the window', () => {
    const old = [ago(901), ago(1200), ago(2000)];
    expect(decideFailover(inputFor({ state: 'stale', agent: 'crashed' }, { restartsInPlace: old })).action).toBe('restart-in-place');
  });

  it('follows the configured bound: one restart in five minutes', () => {
    const settings = { maxRestartsInPlace: 1, restartWindowSeconds: 300 };
    expect(decideFailover(inputFor({ state: 'stale', agent: 'crashed' }, { settings, restartsInPlace: [ago(400)] })).action).toBe('restart-in-place');
    expect(decideFailover(inputFor({ state: 'stale', agent: 'crashed' }, { settings, restartsInPlace: [ago(200)] })).action).toBe('failover');
  });

  it.each([
    ['older than the takeover delay', TAKEOVER_DELAY + 1, TAKEOVER_DELAY + 1, 'failover'],
    ['exactly at the takeover delay', TAKEOVER_DELAY, TAKEOVER_DELAY, 'alert'],
    ['younger on the database clock than on the watchdog clock', 200, 700, 'alert'],
    ['younger on the watchdog clock than on the database clock', 700, 200, 'alert'],
  ])('fails over a silent host with a stale heartbeat only once the heartbeat is older than the takeover delay (%s)', (_name, dbAge, sinceLastBeat, action) => {
    const agent = primaryAgent('silent');
    const heartbeat = heartbeatOf('stale', 'copied', agent, {
      heartbeatAgeSeconds: dbAge,
      lastPrimaryHeartbeatUtc: ago(sinceLastBeat),
      primaryDown: { suspected: true, conclusive: true, since: ago(sinceLastBeat) },
    });
    const d = decideFailover(inputFor({ state: 'stale', agent: 'silent' }, { heartbeat }));
    expect(d.action).toBe(action);
    if (action === 'alert') expect(d.reason).toBe('WAITING_FOR_TAKEOVER_DELAY');
  });

  it.each(every(STATES, AGENT_KINDS.filter((a) => a !== 'fenced')))('takes no automatic action in maintenance mode (%s, agent %s)', (state, agent) => {
    const d = decideFailover(inputFor({ state, agent, restartsUsed: 3 }, { maintenance: true }));
    expect([d.action, d.reason]).toEqual(['none', 'MAINTENANCE']);
  });

  it.each([
    ['secondary-active', /Secondary owns the lock but no failover is recorded/],
    ['released', /stopped cleanly, by a person/],
    ['unknown-owner', /neither ADT-PRI01 nor ADT-SEC01 owns the lock/],
  ] as const)('never fails over automatically from %s, and says why', (state, why) => {
    for (const [agent, strategy] of every(AGENT_KINDS.filter((a) => a !== 'fenced'), STRATEGIES)) {
      const d = decideFailover(inputFor({ state, agent, strategy, restartsUsed: 3 }));
      expect(d.action).toBe('alert');
      expect(d.evidence[0]).toMatch(why);
    }
  });

  it.each(every(STATES, STRATEGIES))('does nothing once the Primary agent reports it is fenced (%s, %s)', (state, strategy) => {
    for (const extra of [{}, { request }, { maintenance: true }]) {
      expect(decideFailover(inputFor({ state, agent: 'fenced', strategy }, extra))).toMatchObject({ action: 'none', reason: 'ALREADY_FAILED_OVER' });
    }
  });

  it('does nothing when the fence record names the Secondary, even with the Primary agent silent', () => {
    const fence = { pairId: 'erp', epoch: 4, activeHost: 'ADT-SEC01', updatedAt: ago(600), reason: 'failover' };
    expect(decideFailover(inputFor({ state: 'stale', agent: 'silent' }, { fence }))).toMatchObject({ action: 'none', reason: 'ALREADY_FAILED_OVER' });
  });

  it('after a failover, names the active side and its host in the evidence, never the configured Primary that may be gone', () => {
    const fence = { pairId: 'erp', epoch: 4, activeHost: 'ADT-SEC01', updatedAt: ago(600), reason: 'failover' };
    const activeAgent = { ...primaryAgent('running')!, host: 'ADT-SEC01' };
    const heartbeat = heartbeatOf('healthy', 'shared', activeAgent, { afterFailover: { epoch: 4, activeHost: 'ADT-SEC01', configuredPrimary: 'ADT-PRI01' } });

    const decision = decideFailover({ ...inputFor({ state: 'healthy', agent: 'running', strategy: 'shared' }, { fence }), heartbeat });

    expect(decision).toMatchObject({ action: 'none', reason: 'ALREADY_FAILED_OVER' });
    expect(decision.evidence).toEqual(
      expect.arrayContaining([expect.stringContaining('active side (ADT-SEC01) heartbeat 10 s old'), "Active side's agent (ADT-SEC01): alive, adTempus service running"]),
    );
    expect(decision.evidence.join('\n')).not.toContain('ADT-PRI01');
  });

  it('still decides on its own when the fence record names the Primary', () => {
    const fence = { pairId: 'erp', epoch: 5, activeHost: 'ADT-PRI01', updatedAt: ago(600), reason: 'failback' };
    expect(decideFailover(inputFor({ state: 'stale', agent: 'silent' }, { fence })).action).toBe('failover');
  });

  it('is pure: the same input gives the same decision and the input is not changed', () => {
    const input = inputFor({ state: 'stale', agent: 'crashed', restartsUsed: 2 });
    const copy = structuredClone(input);
    expect(decideFailover(input)).toEqual(decideFailover(input));
    expect(input).toEqual(copy);
    expect(now.toISOString()).toBe('2026-11-22T02:00:00.000Z');
  });
});
