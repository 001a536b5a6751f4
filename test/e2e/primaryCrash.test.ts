import type { FailoverStatusView } from '../../shared/services/failoverInstanceView';
import type { PairDetail } from '../../shared/services/pairViews';
import { eventually, observe, startE2eWatchdog, type E2eWatchdog } from './e2eWatchdog';

// One watchdog and one lab for the file: both Primaries crash at once, each pair fails over on
// its own, then the old Primaries come back. Bounds on waits only stop a hung run.
jest.setTimeout(150_000);

let w: E2eWatchdog;

beforeAll(async () => {
  w = await startE2eWatchdog();
});

afterAll(async () => {
  await w?.stop();
});

const PAIRS = [
  { id: 'erp', strategy: 'shared', primary: 'ADT-ERP-PRI', secondary: 'ADT-ERP-SEC', database: 'adTempusErp' },
  { id: 'payroll', strategy: 'copied', primary: 'ADT-PAY-PRI', secondary: 'ADT-PAY-SEC', database: 'adTempusPayrollSec' },
] as const;

const failover = (id: string) => w.api<FailoverStatusView>(`/failovers/failover-${id}`);

describe('a crash of the Primary host (adTempus and its agent gone at once)', () => {
  it('leads to a completed automatic failover for the shared and the copied pair, with people told and the Secondary owning the lock', async () => {
    const before = await Promise.all(PAIRS.map((p) => failover(p.id)));
    for (const p of PAIRS) await w.control(`/lab/pairs/${p.id}/primary/crash`);

    const finished = await Promise.all(PAIRS.map((p) => eventually(() => failover(p.id), (r) => r.status === 200 && !r.body.running, `the ${p.id} failover finishing`)));
    const pairs = await Promise.all(PAIRS.map((p) => w.api<PairDetail>(`/pairs/${p.id}`)));
    const state = await w.labState();

    expect(before.map((r) => r.status)).toEqual([404, 404]);
    for (const [i, p] of PAIRS.entries()) {
      const view = finished[i]!.body;
      expect(view).toMatchObject({ runtimeStatus: 'Completed', request: { trigger: 'automatic' }, result: { outcome: 'completed', code: 'COMPLETED' } });
      expect(pairs[i]!.body.active).toMatchObject({ side: 'secondary', host: p.secondary, fenceRecord: true });
      const lab = state.pairs.find((s) => s.id === p.id)!;
      expect(lab.databases.find((d) => d.name === p.database)!.owner).toBe(p.secondary);
      expect(lab.secondary.adTempus).toMatchObject({ state: 'running', jobsRun: true });
      expect(lab.primary.power).toBe('down');
    }
    // The copied pair restored the Primary's backup on the Secondary, and said how much could be lost.
    expect(finished[1]!.body.result!.steps.find((s) => s.step === 'restore')).toMatchObject({ outcome: 'done' });
    expect(finished[1]!.body.result!.dataLoss).toMatchObject({ backupName: expect.stringMatching(/^payroll\//) });

    // Each pair's people hear of the start and the end on both channels, at the pair's own addresses.
    const titles = w.notifications().map((n) => `${n.channel} ${n.to}: ${n.title}`);
    expect(titles).toEqual(
      expect.arrayContaining([
        'teams /teams/erp: WARNING: Failover of erp started',
        'email erp-oncall@example.com: [WARNING] erp: Failover of erp started',
        'teams /teams/erp: RESOLVED: Failover of erp completed: the Secondary runs adTempus',
        'email erp-oncall@example.com: [RESOLVED] erp: Failover of erp completed: the Secondary runs adTempus',
        'teams /teams/default: WARNING: Failover of payroll started',
        'email adtempus-ops@example.com: [WARNING] payroll: Failover of payroll started',
        'teams /teams/default: RESOLVED: Failover of payroll completed: the Secondary runs adTempus',
        'email adtempus-ops@example.com: [RESOLVED] payroll: Failover of payroll completed: the Secondary runs adTempus',
      ]),
    );
  });
});

describe('an old Primary brought back after the failover', () => {
  it('stays stopped: its agent reports the fence, adTempus is Disabled and stopped, and the lock stays with the Secondary', async () => {
    const answers = [];
    for (const p of PAIRS) answers.push(await w.control(`/lab/pairs/${p.id}/primary/start`));

    // Long enough for the agents' fence re-checks and several adTempus heartbeats.
    const seen = await observe(() => w.labState(), 8_000);

    expect(answers).toEqual([
      'ADT-ERP-PRI is up (fenced: another host is active); adTempus is stopped (startup disabled)',
      'ADT-PAY-PRI is up (fenced: another host is active); adTempus is stopped (startup disabled)',
    ]);
    for (const state of seen) {
      for (const p of PAIRS) {
        const lab = state.pairs.find((s) => s.id === p.id)!;
        expect(lab.primary).toMatchObject({ power: 'up', agent: { fenced: true, activeHost: p.secondary }, adTempus: { state: 'stopped', startupType: 'disabled' } });
        expect(lab.databases.find((d) => d.name === p.database)!.owner).toBe(p.secondary);
      }
    }
    const pairs = await Promise.all(PAIRS.map((p) => w.api<PairDetail>(`/pairs/${p.id}`)));
    for (const [i, p] of PAIRS.entries()) expect(pairs[i]!.body.active).toMatchObject({ side: 'secondary', host: p.secondary });
  });
});
