import { ANY_LAB_PORTS } from '../../../local/lab/labSettings';
import { startLab, type Lab } from '../../../local/lab/startLab';
import { loadConfig } from '../../../shared/config/loadConfig';

let lab: Lab | undefined;

afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

describe('a lab with adjusted pairs', () => {
  it("gives the watchdog and the simulated adTempus the same changed settings: erp's takeover delay, payroll's restarts in place", async () => {
    lab = await startLab({
      ports: ANY_LAB_PORTS,
      adjustPairs: (pairs) =>
        (pairs as { id: string; policy: object; failover: object }[]).map((p) =>
          p.id === 'erp' ? { ...p, policy: { ...p.policy, staleThresholdSeconds: 45 } } : { ...p, failover: { ...p.failover, maxRestartsInPlace: 0 } },
        ),
    });

    const config = loadConfig(lab.settings);

    expect(config.pairs.map((p) => [p.id, p.policy.staleThresholdSeconds, p.failover.maxRestartsInPlace])).toEqual([
      ['erp', 45, 2],
      ['payroll', 30, 0],
    ]);
    expect([...lab.databases.values()].map((d) => [d.name, d.lock.takeoverDelayMs])).toEqual([
      ['adTempusErp', 45_000],
      ['adTempusPayrollPri', 30_000],
      ['adTempusPayrollSec', 30_000],
    ]);
  });
});
