import { worldsPerTest } from '../../support/failoverWorld/worldsPerTest';
import { type FailoverWorld, type WorldOptions } from '../../support/failoverWorld/failoverWorld';

/**
 * Past the fence nothing is undone and nothing is abandoned silently: a step that cannot finish
 * leaves the run stalled, and the last message says what was done and what is left.
 */
const world = worldsPerTest();

/** The Primary's service crashed for good: the automatic failover runs without a gate. */
async function crashedPrimary(options: WorldOptions): Promise<FailoverWorld> {
  const w = await world(options);
  w.setControl({ restartsInPlace: [w.ago(120), w.ago(90), w.ago(60)] });
  w.crashService('primary');
  await w.runUntilFailoverDecided(3600);
  return w;
}

function endMessage(w: FailoverWorld): { title: string; nextSteps: readonly string[] } {
  const found = w.log.notifications.find((n) => n.id.endsWith('/end'));
  if (!found) throw new Error('no end message was sent');
  return found;
}

describe('failover runbook: stalls after the fence', () => {
  it('stalls RESTORE_FAILED when the backup fails its checksum, never starting the Secondary, and says what was done and what is left', async () => {
    const w = await crashedPrimary({ strategy: 'copied' });
    w.backups.faults.checksumMismatches = 10;

    await w.startFailover();
    await w.runToEnd();
    const verdict = await w.verdict();

    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'stalled', code: 'RESTORE_FAILED', epoch: 1 });
    expect(verdict.output?.detail).toMatch(/CHECKSUM_MISMATCH/);
    expect(w.services.secondary.starts).toEqual([]);
    expect(w.log.commands.map((c) => c.command.type)).not.toContain('startService');
    expect(w.backups.restores).toEqual([]);
    // Fenced and stays so: the Primary stopped and Disabled, the record names the Secondary.
    expect(w.services.primary).toMatchObject({ state: 'stopped', startupType: 'disabled' });
    expect(w.fence()).toMatchObject({ epoch: 1, activeHost: w.pair.secondary.hostName });
    const message = endMessage(w);
    expect(message.title).toMatch(/STALLED/);
    expect(message.nextSteps).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Done: fence: epoch 1 names ADT-SEC01/),
        expect.stringMatching(/^Left to do: restore the newest sound backup/),
        expect.stringMatching(/^Left to do: start adTempus on ADT-SEC01/),
        expect.stringMatching(/^Left to do: check that ADT-SEC01 owns the adTempus lock/),
      ]),
    );
  });

  it.each(['shared', 'copied'] as const)('completes when every reply to the start is lost but the lock shows the Secondary took over (%s database)', async (strategy) => {
    const w = await crashedPrimary({ strategy, network: { lostRepliesTo: ['startService'] } });

    await w.startFailover();
    await w.runToEnd();
    const verdict = await w.verdict();

    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'completed', code: 'COMPLETED' });
    expect(w.services.secondary.state).toBe('running');
    const start = verdict.output?.steps.find((s) => s.step === 'start');
    expect(start).toMatchObject({ outcome: 'done', detail: expect.stringMatching(/did not reply.*but adTempus runs on ADT-SEC01/) });
  });

  it.each(['shared', 'copied'] as const)('stalls START_FAILED when adTempus will not start on the Secondary (%s database), saying what is left', async (strategy) => {
    const w = await crashedPrimary({ strategy });
    w.services.secondary.failingStarts = 10;

    await w.startFailover();
    await w.runToEnd();
    const verdict = await w.verdict();

    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'stalled', code: 'START_FAILED', epoch: 1 });
    expect(w.services.secondary.state).toBe('stopped');
    expect(w.services.primary.state).toBe('stopped');
    const message = endMessage(w);
    expect(message.nextSteps).toEqual(expect.arrayContaining([expect.stringMatching(/^Done: fence:/), expect.stringMatching(/^Left to do: start adTempus on ADT-SEC01/)]));
    expect(message.nextSteps.some((l) => l.startsWith('Done: restore:'))).toBe(strategy === 'copied');
    expect(message.nextSteps.some((l) => l.startsWith('Left to do: restore'))).toBe(false);
  });

  it('stalls VERIFY_FAILED when the started Secondary never heartbeats', async () => {
    const w = await crashedPrimary({ strategy: 'shared', failover: { verifyTimeoutSeconds: 120 } });
    await w.startFailover();
    expect(await w.runUntilProgress((p) => p.phase === 'verify')).toBe(true);
    w.hangService('secondary');

    await w.runToEnd();
    const verdict = await w.verdict();

    expect(verdict.violations).toEqual([]);
    expect(verdict.output).toMatchObject({ outcome: 'stalled', code: 'VERIFY_FAILED' });
    expect(endMessage(w).nextSteps).toContainEqual(expect.stringMatching(/^Left to do: check that ADT-SEC01 owns the adTempus lock and its heartbeat advances/));
  });
});
