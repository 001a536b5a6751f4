import { worldsPerTest } from '../../support/failoverWorld/worldsPerTest';
import { type FailoverWorld, type WorldOptions } from '../../support/failoverWorld/failoverWorld';

/**
 * The gate and the states that hold a failover back (DESIGN.md, step 3): approvals answered,
 * refused, never answered or cancelled; maintenance mode; the cool-down after a failover.
 */
const world = worldsPerTest();

/** A person asks to move a healthy pair; the runbook waits at the gate. */
async function waitingAtGate(options: WorldOptions = {}): Promise<FailoverWorld> {
  const w = await world({ failover: { approvalTimeoutSeconds: 1800 }, ...options });
  await w.runFor(60);
  await w.requestFailover('alice@example.com', 'patching the Primary');
  expect(await w.runUntilProgress((p) => p.awaiting !== undefined)).toBe(true);
  return w;
}

function nothingChanged(w: FailoverWorld): void {
  expect(w.log.fenceWrites).toEqual([]);
  expect(w.fence()).toBeUndefined();
  expect(w.log.commands.map((c) => c.command.type)).toEqual(['status']);
  expect(w.services.primary.state).toBe('running');
  expect(w.services.secondary.starts).toEqual([]);
}

describe('failover gate', () => {
  it('waits for approval, tells people what it awaits and until when, and fails over once approved', async () => {
    const w = await waitingAtGate();
    const progress = w.progress()!;
    const gateOpened = Date.parse(progress.steps.find((s) => s.step === 'gate')!.startedAt);

    expect(progress).toMatchObject({ phase: 'gate', cancellable: true, awaiting: { event: 'approval', until: new Date(gateOpened + 1800_000).toISOString() } });
    expect(progress.awaiting!.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['PRIMARY_HEALTHY', 'PRIMARY_NOT_CONFIRMED_STOPPED']));
    const gateMessage = w.log.notifications.find((n) => n.id.endsWith('/gate'));
    expect(gateMessage?.facts).toContainEqual({ name: 'Awaiting', value: `approval until ${progress.awaiting!.until}` });
    // Nothing is fenced while the gate waits, however long.
    await w.runFor(1200);
    nothingChanged(w);

    await w.approve('bob@example.com');
    await w.runToEnd();
    const verdict = await w.verdict();

    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'completed', code: 'COMPLETED', approvedBy: 'bob@example.com', requestedBy: 'alice@example.com' });
    expect(w.services.primary.state).toBe('stopped');
    expect(w.services.secondary.state).toBe('running');
  });

  it('aborts REJECTED when a person rejects it, having changed nothing', async () => {
    const w = await waitingAtGate();

    await w.reject('bob@example.com', 'month-end run in progress');
    await w.runToEnd();
    const verdict = await w.verdict();

    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'aborted', code: 'REJECTED' });
    expect(verdict.output?.detail).toContain('bob@example.com');
    nothingChanged(w);
  });

  it('aborts APPROVAL_TIMEOUT when nobody answers by the deadline; a late approval changes nothing', async () => {
    const w = await waitingAtGate({ failover: { approvalTimeoutSeconds: 900 } });
    const until = Date.parse(w.progress()!.awaiting!.until);

    await w.runToEnd();
    const endedAt = w.clock.now().getTime();
    await w.approve('bob@example.com');
    await w.runFor(600);
    const verdict = await w.verdict();

    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'aborted', code: 'APPROVAL_TIMEOUT' });
    expect(endedAt).toBeGreaterThanOrEqual(until);
    expect(endedAt - until).toBeLessThan(60_000);
    nothingChanged(w);
  });

  it('aborts CANCELLED on a cancel while it waits, before anything was fenced', async () => {
    const w = await waitingAtGate();

    await w.cancel('carol@example.com', 'the Primary was only rebooting');
    await w.runToEnd();
    const verdict = await w.verdict();

    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'aborted', code: 'CANCELLED' });
    nothingChanged(w);
  });

  it('under the two-person rule does not take the requester\u2019s own approval', async () => {
    const w = await waitingAtGate({ failover: { approvalTimeoutSeconds: 900, twoPersonRule: true } });

    await w.approve('alice@example.com');
    await w.runToEnd();

    expect(await w.output()).toMatchObject({ outcome: 'aborted', code: 'APPROVAL_TIMEOUT' });
    nothingChanged(w);
  });

  it('takes no automatic action in maintenance mode: an automatic run for a lost Primary ends NOT_NEEDED without a command', async () => {
    const w = await world({ policy: { staleThresholdSeconds: 120 } });
    w.setControl({ maintenance: { by: 'ops@example.com', reason: 'patch night', since: w.ago(60) } });
    await w.runFor(100);
    w.loseHost('primary');
    await w.runFor(900);

    const decision = await w.decideNow();
    await w.startFailover();
    await w.runToEnd();

    expect(decision).toMatchObject({ action: 'none', reason: 'MAINTENANCE' });
    expect(await w.output()).toMatchObject({ outcome: 'aborted', code: 'NOT_NEEDED' });
    expect(w.log.commands).toEqual([]);
    expect(w.fence()).toBeUndefined();
    expect((await w.verdict()).violations).toEqual([]);
  });

  it.each([
    ['requested', true],
    ['automatic', false],
  ])('during the cool-down after an earlier failover the %s failover waits at the gate for a person', async (_trigger, requested) => {
    const w = await world({ policy: { staleThresholdSeconds: 120 }, failover: { approvalTimeoutSeconds: 1800 } });
    w.setControl({ lastFailover: { instanceId: 'failover-erp', completedAt: w.ago(3600) } });
    await w.runFor(100);
    w.loseHost('primary');
    const decision = await w.runUntilFailoverDecided(3600);

    if (requested) await w.requestFailover();
    else await w.startFailover();
    expect(await w.runUntilProgress((p) => p.awaiting !== undefined)).toBe(true);
    expect(w.progress()!.awaiting!.reasons.map((r) => r.code)).toContain('COOL_DOWN_ACTIVE');
    await w.runFor(900);
    expect(w.fence()).toBeUndefined();

    await w.approve('bob@example.com');
    await w.runToEnd();

    expect(decision).toMatchObject({ action: 'failover', startsAutomatically: false });
    expect(await w.output()).toMatchObject({ outcome: 'completed', approvedBy: 'bob@example.com' });
    expect((await w.verdict()).violations).toEqual([]);
  });

  it('honours a cancel while the preflight still waits for the Secondary agent', async () => {
    const w = await world({ failover: { replyGraceSeconds: 60, commandAttempts: 3 } });
    w.crashAgent('secondary');
    await w.requestFailover();
    await w.runFor(30);

    await w.cancel();
    await w.runToEnd();

    expect(await w.output()).toMatchObject({ outcome: 'aborted', code: 'CANCELLED' });
    expect(w.log.commands.map((c) => c.command.type)).toEqual(['status']);
    expect(w.fence()).toBeUndefined();
  });
});
