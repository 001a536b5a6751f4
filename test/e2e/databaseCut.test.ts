import type { FailoverStatusView } from '../../shared/services/failoverInstanceView';
import type { PairDetail } from '../../shared/services/pairViews';
import { eventually, observe, startE2eWatchdog, type E2eWatchdog } from './e2eWatchdog';

// One watchdog and one lab for the file. Bounds on waits only stop a hung run.
jest.setTimeout(150_000);

let w: E2eWatchdog;

beforeAll(async () => {
  w = await startE2eWatchdog();
});

afterAll(async () => {
  await w?.stop();
});

describe('a watchdog cut off from a shared database while adTempus keeps running on it', () => {
  it('raises the unreachable alert and does not fail over, for longer than the takeover delay', async () => {
    const erp = () => w.api<PairDetail>('/pairs/erp');
    const healthy = await eventually(erp, (r) => (r.body.heartbeat as { state?: string } | null)?.state === 'healthy', 'erp seen healthy');
    const takeoverDelayMs = healthy.body.policy.staleThresholdSeconds * 1000;
    const pollMs = 5_000;

    await w.control('/lab/pairs/erp/primary/database/cut');
    // What the watchdog shows, and whether a failover ever starts, from the cut until well past the
    // takeover delay plus a monitor interval: the time a lost Primary would have taken to fail over.
    const seen = await observe(async () => ({ pair: (await erp()).body, failover: await w.api<FailoverStatusView>('/failovers/failover-erp') }), takeoverDelayMs + 2 * pollMs);
    const state = await w.labState();
    await w.control('/lab/pairs/erp/primary/database/reconnect');

    expect(seen.map((s) => s.failover.status)).toEqual(seen.map(() => 404));
    expect(seen.map((s) => s.pair.active)).toEqual(seen.map(() => ({ side: 'primary', host: 'ADT-ERP-PRI', epoch: 0, fenceRecord: false })));
    expect(seen.at(-1)!.pair.heartbeat).toMatchObject({ state: 'unreachable' });
    expect(w.notifications()).toEqual(
      expect.arrayContaining([
        { channel: 'teams', to: '/teams/erp', title: 'CRITICAL: Watchdog cannot read the adTempus database' },
        { channel: 'email', to: 'erp-oncall@example.com', title: '[CRITICAL] erp: Watchdog cannot read the adTempus database' },
      ]),
    );
    expect(w.notifications().filter((n) => n.title.includes('Failover'))).toEqual([]);
    // adTempus never noticed: the Primary still runs jobs and owns the lock; the Secondary stays stopped.
    const erpLab = state.pairs.find((p) => p.id === 'erp')!;
    expect(erpLab.primary.adTempus).toMatchObject({ state: 'running', jobsRun: true });
    expect(erpLab.secondary.adTempus).toMatchObject({ state: 'stopped' });
    expect(erpLab.databases[0]).toMatchObject({ owner: 'ADT-ERP-PRI', cutOff: true });
  });
});
