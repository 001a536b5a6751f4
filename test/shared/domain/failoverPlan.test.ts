import type { FailoverFacts } from '../../../shared/contracts/failoverContract';
import { decideFailover } from '../../../shared/domain/failoverPolicy';
import { failoverPlan } from '../../../shared/domain/failoverPlan';
import { DEFAULT_FAILOVER_SETTINGS, type FailoverSettings } from '../../../shared/domain/runbookSettings';
import { ago, backupOf, inputFor, now, type Situation } from './failoverFixtures';

const request = { requestedBy: 'alice@contoso.com', reason: 'host replacement' };

/** Facts as gatherFacts reads them, for a situation from the decision table. */
function factsFor(situation: Situation, extra: { request?: typeof request | undefined; settings?: Partial<FailoverSettings>; epoch?: number; activeHost?: string; backupAge?: number | null } = {}): FailoverFacts {
  const settings = { ...DEFAULT_FAILOVER_SETTINGS, ...extra.settings };
  const backup = extra.backupAge === null ? backupOf(undefined) : backupOf(extra.backupAge ?? 3600);
  const input = inputFor(situation, { backup, ...(extra.request ? { request: extra.request } : {}), settings });
  const decision = decideFailover(input);
  const valid = backup.newestValid;
  return {
    pair: { ...input.pair, failover: settings },
    checkedAt: now.toISOString(),
    decision,
    epoch: extra.epoch ?? 0,
    activeHost: extra.activeHost ?? input.pair.primary.hostName,
    ...(valid?.sha256 ? { backup: { ...valid, sha256: valid.sha256 } } : {}),
    ...(input.heartbeat.lastPrimaryHeartbeatUtc ? { primaryLastHeartbeatUtc: input.heartbeat.lastPrimaryHeartbeatUtc } : {}),
    ...(input.heartbeat.primaryDown.since ? { conditionSince: input.heartbeat.primaryDown.since } : {}),
  };
}

const steps = (facts: FailoverFacts): string[] => failoverPlan(facts).steps.map((s) => `${s.step}:${s.action}`);

describe('failoverPlan', () => {
  it('plans every step of a copied failover that runs without a person, with the backup and the data loss', () => {
    const facts = factsFor({ state: 'stale', agent: 'silent', automaticFailover: true });

    const plan = failoverPlan(facts, 'automatic');

    expect(plan).toMatchObject({ pairId: 'erp', strategy: 'copied', trigger: 'automatic', wouldStart: true, decision: { action: 'failover', reason: 'PRIMARY_HOST_LOST' }, blockers: [] });
    expect(steps(facts)).toEqual(['open:run', 'preflight:run', 'gate:skip', 'fence:run', 'restore:run', 'start:run', 'verify:run', 'close:run']);
    expect(plan.fence).toEqual({ currentEpoch: 0, nextEpoch: 1, activeHost: 'ADT-PRI01', newActiveHost: 'ADT-SEC01' });
    // Backup taken 1 h before now; the Primary's last heartbeat 600 s before now: 50 min of changes lost.
    expect(plan.restore).toEqual({
      backup: expect.objectContaining({ takenAt: ago(3600), sha256: 'ab'.repeat(32) }),
      backupAgeSeconds: 3600,
      dataLoss: { from: ago(3600), to: ago(600), seconds: 3000 },
    });
    expect(plan.steps.find((s) => s.step === 'restore')?.evidence).toEqual(expect.arrayContaining([expect.stringContaining('(50 min 0 s)')]));
  });

  it('says what the gate waits for, how long, and that the two-person rule applies', () => {
    const facts = factsFor({ state: 'healthy', agent: 'running', automaticFailover: false }, { request, settings: { approvalTimeoutSeconds: 1800, twoPersonRule: true } });

    const plan = failoverPlan(facts);
    const gate = plan.steps.find((s) => s.step === 'gate')!;

    expect(plan.gate).toMatchObject({ required: true, timeoutSeconds: 1800, twoPersonRule: true });
    expect(gate.action).toBe('wait');
    expect(gate.decision).toContain('wait up to 30 min 0 s');
    expect(gate.decision).toContain('two-person rule');
    expect(gate.evidence).toEqual(expect.arrayContaining([expect.stringMatching(/^MANUAL_POLICY: /), expect.stringMatching(/^PRIMARY_HEALTHY: /), expect.stringMatching(/^PRIMARY_NOT_CONFIRMED_STOPPED: /)]));
    expect(plan.steps[0]!.decision).toContain('requested by alice@contoso.com');
  });

  it('skips the restore of a shared pair and names no backup', () => {
    const facts = factsFor({ strategy: 'shared', state: 'stale', agent: 'silent' });

    const plan = failoverPlan(facts);

    expect(plan.restore).toBeUndefined();
    expect(plan.steps.find((s) => s.step === 'restore')).toMatchObject({ action: 'skip', decision: 'shared database: nothing to restore' });
    expect(plan.steps.find((s) => s.step === 'verify')!.decision).toContain('the shared database');
  });

  it('names the missing backup of a copied pair as a blocker of the preflight and the restore', () => {
    const facts = factsFor({ state: 'stale', agent: 'silent' }, { request, backupAge: null });

    const plan = failoverPlan(facts);

    expect(plan.wouldStart).toBe(true);
    expect(plan.blockers).toEqual([expect.stringMatching(/^preflight: no sound backup/), expect.stringMatching(/^restore: no sound backup/)]);
  });

  it('raises the epoch from the one on record', () => {
    const plan = failoverPlan(factsFor({ state: 'stale', agent: 'silent' }, { epoch: 6 }));

    expect(plan.fence).toMatchObject({ currentEpoch: 6, nextEpoch: 7 });
    expect(plan.steps.find((s) => s.step === 'fence')!.decision).toContain('raise the epoch from 6 to 7 naming ADT-SEC01 active');
  });

  it('plans nothing when the decision is not to fail over, giving the reason', () => {
    const facts = factsFor({ state: 'secondary-active', agent: 'silent' }, { request });

    const plan = failoverPlan(facts);

    expect(plan).toMatchObject({ wouldStart: false, refusal: { reason: 'SECONDARY_ACTIVE', detail: expect.stringContaining('refused') }, steps: [], blockers: [] });
    expect(plan.gate).toBeUndefined();
  });

  it('is the same for the same facts: nothing in it depends on when it is built', () => {
    const facts = factsFor({ state: 'stale', agent: 'crashed', restartsUsed: 3 });

    expect(failoverPlan(facts)).toEqual(failoverPlan(structuredClone(facts)));
  });
});
