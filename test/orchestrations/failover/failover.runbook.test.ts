import { worldsPerTest } from '../../support/failoverWorld/worldsPerTest';
import type { SendCommandInput } from '../../../shared/contracts/failoverContract';
import type { Strategy } from '../../../shared/domain/pair';
import type { FailoverWorld } from '../../support/failoverWorld/failoverWorld';

/**
 * The failover runbook end to end on the real durable engine, against a simulated pair whose
 * agents run the real agent core: the paths where the Primary is down, and the rules of the fence.
 * Every world also checks the safety rules on each change (FailoverWorld.verdict()).
 */
const world = worldsPerTest();

const STRATEGIES: Strategy[] = ['shared', 'copied'];

function command(w: FailoverWorld, type: SendCommandInput['command']['type']): SendCommandInput {
  const found = w.log.commands.find((c) => c.command.type === type);
  if (!found) throw new Error(`no ${type} command was sent`);
  return found;
}

/** Time of the Primary's last lock heartbeat (database clock). */
function lastPrimaryBeat(w: FailoverWorld): number {
  return w.databases.primary.read().heartbeatUtc!.getTime();
}

describe('failover runbook: the Primary is down', () => {
  it.each(STRATEGIES)('fails over a Primary whose service crashed once the restarts in place are used up, its agent confirming the stop (%s database)', async (strategy) => {
    const w = await world({ strategy });
    w.setControl({ restartsInPlace: [w.ago(120), w.ago(90), w.ago(60)] });
    w.crashService('primary');

    const decision = await w.runUntilFailoverDecided(3600);
    await w.startFailover();
    await w.runToEnd();
    const verdict = await w.verdict();

    expect(decision).toMatchObject({ action: 'failover', reason: 'RESTARTS_EXHAUSTED', startsAutomatically: true });
    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'completed', code: 'COMPLETED', epoch: 1 });
    expect(w.commandKeys()).toEqual(strategy === 'shared' ? ['preflight-status-1', 'fence-stop-1', 'start-1'] : ['preflight-status-1', 'fence-stop-1', 'restore-1', 'start-1']);
    // The fence: epoch raised first, then the stop with the new epoch, Disabled and killed if need be.
    expect(w.log.fenceWrites).toEqual([expect.objectContaining({ epoch: 1, activeHost: w.pair.secondary.hostName, failoverId: w.instanceId })]);
    const stop = command(w, 'stopService');
    expect(stop).toMatchObject({ role: 'primary', epoch: 1, command: { type: 'stopService', killAfterTimeout: true } });
    expect(Date.parse(stop.issuedAt)).toBeGreaterThanOrEqual(Date.parse(w.log.fenceWrites[0]!.updatedAt));
    expect(w.services.primary).toMatchObject({ state: 'stopped', startupType: 'disabled' });
    // The start: after the confirmed stop, with the new epoch and -takedbcontrol.
    expect(command(w, 'startService')).toMatchObject({ role: 'secondary', epoch: 1, command: { parameters: ['-takedbcontrol'] } });
    expect(w.services.secondary.starts).toHaveLength(1);
    expect(w.services.secondary.starts[0]!.at).toBeGreaterThan(w.primaryStopConfirmedAt!);
    expect(w.databases.secondary.read().owner).toBe(w.pair.secondary.hostName);
    expect(w.services.secondary.lastParameters).toEqual(['-takedbcontrol']);
  });

  it('copied: restores the newest sound backup named by the facts before starting the Secondary', async () => {
    const w = await world({ strategy: 'copied', backupAgeMinutes: 45 });
    w.setControl({ restartsInPlace: [w.ago(120), w.ago(90), w.ago(60)] });
    w.crashService('primary');

    await w.runUntilFailoverDecided(3600);
    await w.startFailover();
    await w.runToEnd();

    const backup = w.backups.backups[0]!;
    expect(command(w, 'restoreDatabase')).toMatchObject({ role: 'secondary', epoch: 1, command: { backupName: backup.name, sha256: backup.sha256, sizeBytes: backup.sizeBytes } });
    expect(w.backups.restores).toEqual([backup.name]);
    // The SAS URL is made inside the activity and never enters the orchestration's history.
    expect(JSON.stringify(await w.harness.history(w.instanceId))).not.toContain('sig=');
    expect((await w.output()).dataLoss).toMatchObject({ backupName: backup.name, from: backup.takenAt.toISOString() });
  });

  it('does not fail over a crashed service that may still be restarted in place: that run ends NOT_NEEDED having changed nothing', async () => {
    const w = await world();
    w.crashService('primary');
    await w.runFor(300);

    const decision = await w.decideNow();
    await w.startFailover();
    await w.runToEnd();

    expect(decision).toMatchObject({ action: 'restart-in-place', reason: 'SERVICE_STOPPED_ON_ITS_OWN' });
    expect(await w.output()).toMatchObject({ outcome: 'aborted', code: 'NOT_NEEDED' });
    expect(w.log.commands).toEqual([]);
    expect(w.log.fenceWrites).toEqual([]);
    expect((await w.verdict()).violations).toEqual([]);
  });

  it.each(STRATEGIES)('after the Primary host is lost (agent silent) starts the Secondary only once its heartbeat is older than the takeover delay (%s database)', async (strategy) => {
    const w = await world({ strategy, policy: { staleThresholdSeconds: 120 } });
    await w.runFor(100);
    w.loseHost('primary');
    const lostBeat = lastPrimaryBeat(w);

    const decision = await w.runUntilFailoverDecided(3600);
    await w.startFailover();
    await w.runToEnd();
    const verdict = await w.verdict();

    expect(decision).toMatchObject({ action: 'failover', reason: strategy === 'shared' ? 'PRIMARY_HOST_LOST' : 'PRIMARY_HOST_UNREACHABLE' });
    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'completed' });
    // The stop still goes out, queued for the agent if the host ever returns.
    expect(command(w, 'stopService')).toMatchObject({ role: 'primary', epoch: 1 });
    expect(w.services.secondary.starts[0]!.at - lostBeat).toBeGreaterThan(120_000);
  });

  it('when a person asks right after the Primary host was lost (shared database), the fence waits out the takeover delay itself', async () => {
    const w = await world({ strategy: 'shared', policy: { staleThresholdSeconds: 300 }, failover: { stopTimeoutSeconds: 5, replyGraceSeconds: 1 } });
    await w.runFor(20);
    w.loseHost('primary');
    const lostBeat = lastPrimaryBeat(w);

    await w.requestFailover();
    await w.runUntilProgress((p) => p.awaiting !== undefined);
    expect(w.progress()?.awaiting?.reasons.map((r) => r.code)).toContain('PRIMARY_NOT_CONFIRMED_STOPPED');
    await w.approve();
    await w.runToEnd();
    const verdict = await w.verdict();

    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'completed' });
    expect(verdict.output?.steps.find((s) => s.step === 'fence')?.detail).toMatch(/older than the takeover delay/);
    expect(w.services.secondary.starts[0]!.at - lostBeat).toBeGreaterThan(300_000);
  });

  // Found by this world: with a copied database the Primary's lock cannot be read once its host is
  // gone; the lock evidence then estimates the heartbeat's age from the monitor's last reading of
  // it, which is older than the heartbeat the lost host last wrote (by up to a monitor interval and
  // a heartbeat interval). The fence takes the estimate for a fact and the Secondary starts before
  // the takeover delay has passed on the database's own clock. See the report to the lead.
  it('copied: when a person asks right after the Primary host was lost, the Secondary starts only after the takeover delay on the lost database', async () => {
    const w = await world({
      strategy: 'copied',
      policy: { staleThresholdSeconds: 60, consecutiveStaleChecks: 1 },
      failover: { stopTimeoutSeconds: 5, replyGraceSeconds: 1 },
      downloadSeconds: 1,
      restoreSeconds: 1,
    });
    // Just before a monitor check: the monitor's last reading of the lock is as old as it gets.
    await w.runFor(78);
    w.loseHost('primary');
    const lostBeat = lastPrimaryBeat(w);

    await w.runFor(1);
    await w.requestFailover();
    await w.approve();
    await w.runToEnd();
    const verdict = await w.verdict();

    expect(verdict.output).toMatchObject({ outcome: 'completed' });
    expect(verdict.violations).toEqual([]);
    expect(w.services.secondary.starts[0]!.at - lostBeat).toBeGreaterThan(60_000);
  });

  it('never starts the Secondary while the Primary keeps running with its agent dead: the fence gives up and the run stalls FENCE_FAILED', async () => {
    const w = await world({ strategy: 'shared', policy: { staleThresholdSeconds: 120 }, failover: { stopTimeoutSeconds: 20, replyGraceSeconds: 10 } });
    w.crashAgent('primary');
    await w.runFor(300);

    await w.requestFailover();
    await w.runUntilProgress((p) => p.awaiting !== undefined);
    await w.approve();
    await w.runToEnd();
    const verdict = await w.verdict();

    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'stalled', code: 'FENCE_FAILED', epoch: 1 });
    expect(w.services.secondary.starts).toEqual([]);
    expect(w.services.primary.state).toBe('running');
    expect(verdict.output?.left[0]).toMatch(/make sure adTempus on ADT-PRI01 is stopped/);
    expect(w.log.commands.map((c) => c.command.type)).not.toContain('startService');
  });

  it('copied: aborts PREFLIGHT_FAILED when there is no sound backup to restore, having changed nothing', async () => {
    const w = await world({ strategy: 'copied', noBackup: true });
    w.setControl({ restartsInPlace: [w.ago(120), w.ago(90), w.ago(60)] });
    w.crashService('primary');
    await w.runUntilFailoverDecided(3600);

    await w.startFailover();
    await w.runToEnd();

    expect(await w.output()).toMatchObject({ outcome: 'aborted', code: 'PREFLIGHT_FAILED' });
    expect(w.log.commands).toEqual([]);
    expect(w.fence()).toBeUndefined();
  });
});
