import { activeCoolDown, approvalGate, dataLossOverBudget, primaryConfirmedStopped, primaryHeartbeatAgeSeconds, unreadableHeartbeatAgeSeconds, type GateFacts } from '../../../shared/domain/approvalGate';
import { ago, backupOf, heartbeatOf, now, pairOf, primaryAgent, type AgentKind } from './failoverFixtures';

function facts(overrides: Partial<GateFacts> = {}): GateFacts {
  return {
    pair: pairOf('copied'),
    heartbeat: heartbeatOf('stale', 'copied', primaryAgent('silent')),
    backup: backupOf(3600),
    coolDownSeconds: 21_600,
    requested: false,
    now,
    ...overrides,
  };
}
const codes = (f: GateFacts): string[] => approvalGate(f).reasons.map((r) => r.code);

describe('approvalGate', () => {
  it('lets a confirmed, in-budget failover through without a person', () => {
    expect(approvalGate(facts())).toEqual({ required: false, reasons: [] });
  });

  it.each<[string, Partial<GateFacts>, string[]]>([
    ['the policy is manual', { pair: pairOf('copied', false) }, ['MANUAL_POLICY']],
    ['a person asks while the heartbeat is fresh', { requested: true, heartbeat: heartbeatOf('healthy', 'copied', primaryAgent('crashed')) }, ['PRIMARY_HEALTHY']],
    [
      'the Primary runs and its heartbeat is fresh',
      { requested: true, heartbeat: heartbeatOf('healthy', 'copied', primaryAgent('running')) },
      ['PRIMARY_HEALTHY', 'PRIMARY_NOT_CONFIRMED_STOPPED'],
    ],
    [
      'the agent is silent and the heartbeat is not yet older than the takeover delay',
      { heartbeat: heartbeatOf('stale', 'copied', primaryAgent('silent'), { heartbeatAgeSeconds: 300, lastPrimaryHeartbeatUtc: ago(300), primaryDown: { suspected: true, conclusive: true, since: ago(300) } }) },
      ['PRIMARY_NOT_CONFIRMED_STOPPED'],
    ],
    [
      'the agent is silent and the heartbeat age is unknown',
      { heartbeat: heartbeatOf('unreachable', 'copied', primaryAgent('silent'), { lastPrimaryHeartbeatUtc: undefined }) },
      ['PRIMARY_NOT_CONFIRMED_STOPPED'],
    ],
    ['the newest sound backup is over the RPO budget', { backup: backupOf(1441 * 60) }, ['DATA_LOSS_OVER_RPO']],
    ['there is no sound backup', { backup: backupOf(undefined) }, ['DATA_LOSS_OVER_RPO']],
    ['nothing is known about backups', { backup: undefined }, ['DATA_LOSS_OVER_RPO']],
    ['an earlier failover is in its cool-down', { previousFailover: { at: ago(600), acknowledged: false } }, ['COOL_DOWN_ACTIVE']],
  ])('needs a person when %s', (_name, overrides, expected) => {
    const gate = approvalGate(facts(overrides));
    expect(gate.required).toBe(true);
    expect(gate.reasons.map((r) => r.code)).toEqual(expected);
  });

  it.each<[string, Partial<GateFacts>]>([
    ['the live agent confirms the service stopped, however fresh the heartbeat', { heartbeat: heartbeatOf('healthy', 'copied', primaryAgent('crashed')) }],
    ['a shared database has no backup to judge', { pair: pairOf('shared'), backup: undefined }],
    ['the earlier failover was acknowledged', { previousFailover: { at: ago(600), acknowledged: true } }],
    ['the cool-down has run out', { previousFailover: { at: ago(21_600), acknowledged: false } }],
  ])('needs nobody when %s', (_name, overrides) => {
    expect(codes(facts(overrides))).toEqual([]);
  });

  it('lists every reason that holds, in a stable order', () => {
    const f = facts({
      pair: pairOf('copied', false),
      requested: true,
      heartbeat: heartbeatOf('healthy', 'copied', primaryAgent('running')),
      backup: backupOf(undefined),
      previousFailover: { at: ago(60), acknowledged: false },
    });
    expect(codes(f)).toEqual(['MANUAL_POLICY', 'PRIMARY_HEALTHY', 'PRIMARY_NOT_CONFIRMED_STOPPED', 'DATA_LOSS_OVER_RPO', 'COOL_DOWN_ACTIVE']);
    expect(approvalGate(f).reasons.every((r) => r.detail.length > 20)).toBe(true);
  });
});

describe('primaryHeartbeatAgeSeconds', () => {
  const stale = (o: Parameters<typeof heartbeatOf>[3]) => heartbeatOf('stale', 'copied', undefined, o);

  it.each<[string, Parameters<typeof heartbeatOf>[3], Date, number | undefined]>([
    ['the database-clock age at the check', { heartbeatAgeSeconds: 400, lastPrimaryHeartbeatUtc: ago(500), primaryDown: { suspected: true, conclusive: true, since: ago(500) } }, now, 400],
    ['that age plus the time since the check', { heartbeatAgeSeconds: 400, lastPrimaryHeartbeatUtc: ago(900), primaryDown: { suspected: true, conclusive: true, since: ago(900) } }, new Date(now.getTime() + 60_000), 460],
    ['the last seen heartbeat when it is younger', { heartbeatAgeSeconds: 400, lastPrimaryHeartbeatUtc: ago(350), primaryDown: { suspected: true, conclusive: true, since: ago(350) } }, now, 350],
    ['the start of the stale condition for an owner that never wrote one', { heartbeatAgeSeconds: undefined, lastPrimaryHeartbeatUtc: undefined, primaryDown: { suspected: true, conclusive: true, since: ago(450) } }, now, 450],
    ['zero for a heartbeat ahead of the watchdog clock', { heartbeatAgeSeconds: undefined, lastPrimaryHeartbeatUtc: ago(-30), primaryDown: { suspected: true, conclusive: true, since: ago(-30) } }, now, 0],
  ])('takes %s', (_name, overrides, at, expected) => {
    expect(primaryHeartbeatAgeSeconds(stale(overrides), at)).toBe(expected);
  });

  it('ignores the age read from a heartbeat that is not the Primary’s', () => {
    const hb = heartbeatOf('secondary-active', 'copied', undefined, { heartbeatAgeSeconds: 5, lastPrimaryHeartbeatUtc: ago(3600) });
    expect(primaryHeartbeatAgeSeconds(hb, now)).toBe(3600);
  });

  it('knows nothing when no Primary heartbeat was ever read', () => {
    expect(primaryHeartbeatAgeSeconds(heartbeatOf('unreachable', 'copied', undefined, { lastPrimaryHeartbeatUtc: undefined }), now)).toBeUndefined();
  });
});

describe('unreadableHeartbeatAgeSeconds', () => {
  const at = new Date('2026-11-22T12:02:00.000Z');

  it('counts from the first failed check of the current run, where the Primary may still have written heartbeats', () => {
    expect(unreadableHeartbeatAgeSeconds({ run: { state: 'unreachable', since: '2026-11-22T12:00:30.000Z', count: 3 } }, at)).toBe(90);
  });

  it.each([
    ['no memory', undefined],
    ['a database that still answered', { run: { state: 'stale' as const, since: '2026-11-22T11:00:00.000Z', count: 9 } }],
    ['a run start that does not parse', { run: { state: 'unreachable' as const, since: 'yesterday', count: 2 } }],
  ])('knows no bound with %s', (_case, memory) => {
    expect(unreadableHeartbeatAgeSeconds(memory, at)).toBeUndefined();
  });
});

describe('gate helpers', () => {
  it.each<[AgentKind, boolean]>([
    ['crashed', true],
    ['stop-ordered', true],
    ['fenced', true],
    ['running', false],
    ['hung', false],
    ['silent', false],
    ['absent', false],
  ])('counts a Primary agent that is %s as confirming the stop: %s', (kind, expected) => {
    expect(primaryConfirmedStopped(primaryAgent(kind))).toBe(expected);
  });

  it('measures the data loss from the newest sound backup, not a newer suspect one', () => {
    const backup = { ...backupOf(3600), state: 'suspect' as const, newestValid: backupOf(2 * 86_400).newestValid! };
    expect(dataLossOverBudget(pairOf('copied'), backup, now)).toMatch(/loses more than the RPO budget of 24 h 0 min/);
  });

  it('keeps a cool-down whose start does not parse (fail closed)', () => {
    expect(activeCoolDown({ at: 'garbage', acknowledged: false }, 3600, now)).toMatch(/runs until unknown/);
  });
});
