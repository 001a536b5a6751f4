import { worldsPerTest } from '../../support/failoverWorld/worldsPerTest';
import { InstanceAlreadyRunningError } from '../../../local/durable/durableEngineErrors';
import type { FailoverPhase } from '../../../shared/contracts/failoverContract';
import { type FailoverWorld, type WorldOptions } from '../../support/failoverWorld/failoverWorld';

/** One run per pair whatever triggers it, and a run that survives its host: replay resumes it without redoing a step. */
const world = worldsPerTest();

async function crashedPrimary(options: WorldOptions): Promise<FailoverWorld> {
  const w = await world(options);
  w.setControl({ restartsInPlace: [w.ago(120), w.ago(90), w.ago(60)] });
  w.crashService('primary');
  await w.runUntilFailoverDecided(3600);
  return w;
}

function count<T>(items: readonly T[], item: T): number {
  return items.filter((i) => i === item).length;
}

describe('failover runbook: duplicate triggers and host restarts', () => {
  it('refuses a second start of the same instance while one runs; the running one goes on alone and completes once', async () => {
    const w = await crashedPrimary({ strategy: 'shared' });
    await w.startFailover({ reason: 'first trigger' });

    await expect(w.startFailover({ reason: 'second trigger', trigger: 'requested', requestedBy: 'alice@example.com' })).rejects.toBeInstanceOf(InstanceAlreadyRunningError);
    await w.runToEnd();
    const status = await w.status();

    expect(status.input).toMatchObject({ reason: 'first trigger', trigger: 'automatic' });
    expect(status.output).toMatchObject({ outcome: 'completed', trigger: 'automatic' });
    expect(w.log.notifications.filter((n) => n.id.endsWith('/started'))).toHaveLength(1);
    expect(w.log.fenceWrites).toHaveLength(1);
    expect(w.services.secondary.starts).toHaveLength(1);
    expect((await w.verdict()).violations).toEqual([]);
  });

  it.each<FailoverPhase>(['fence', 'restore', 'start', 'verify'])(
    'resumes after a host restart during %s and completes without a second fence write or a second start',
    async (phase) => {
      const w = await crashedPrimary({ strategy: 'copied', downloadSeconds: 60, restoreSeconds: 60, service: { startMs: 20_000 } });
      await w.startFailover();
      expect(await w.runUntilProgress((p) => p.phase === phase && (phase !== 'fence' || p.epoch !== undefined))).toBe(true);
      const before = w.harness;

      await w.restartHost();
      await w.runToEnd();
      const verdict = await w.verdict();

      expect(w.harness).not.toBe(before);
      expect(verdict.violations).toEqual([]);
      expect(verdict.output).toMatchObject({ outcome: 'completed', code: 'COMPLETED', epoch: 1 });
      expect(w.log.fenceWrites).toHaveLength(1);
      const keys = w.commandKeys();
      expect([count(keys, 'fence-stop-1'), count(keys, 'restore-1'), count(keys, 'start-1')]).toEqual([1, 1, 1]);
      expect(keys.filter((k) => /-[2-9]$/.test(k))).toEqual([]);
      expect(w.services.secondary.starts).toHaveLength(1);
      expect(w.backups.restores).toHaveLength(1);
    },
  );

  it('resumes a run that waits at the gate after a host restart, and goes on once approved', async () => {
    const w = await world({ failover: { approvalTimeoutSeconds: 1800 } });
    await w.requestFailover();
    expect(await w.runUntilProgress((p) => p.awaiting !== undefined)).toBe(true);

    await w.restartHost();
    await w.runFor(600);
    await w.approve();
    await w.runToEnd();

    expect(await w.output()).toMatchObject({ outcome: 'completed', approvedBy: 'bob@example.com' });
    expect((await w.verdict()).violations).toEqual([]);
  });
});
