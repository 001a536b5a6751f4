import '../../../functions/heartbeatMonitor';
import '../../../functions/backupMonitor';
import { InvocationContext, type Timer } from '@azure/functions';
import { getRegistration } from '../../../local/functionsCore';
import { sentNotifications } from '../../../local/lab/labControl';
import { startLab, type Lab } from '../../../local/lab/startLab';
import { closeAppServices } from '../../../shared/composition/appServices';

const ANY_PORT = { blob: 0, sql: 0, sqlPayrollSecondary: 0, smtp: 0, webhook: 0, control: 0 };
let lab: Lab;
const saved = { ...process.env };

beforeAll(async () => {
  lab = await startLab({ ports: ANY_PORT, heartbeatMs: 1_000 });
  // Short SQL timeouts keep the cut-off case quick; everything else is the documented configuration.
  Object.assign(process.env, lab.settings, { WATCHDOG_STATE_CONTAINER: 'lab-state', SQL_CONNECT_TIMEOUT_MS: '1000', SQL_REQUEST_TIMEOUT_MS: '1000' });
  await closeAppServices();
});

afterAll(async () => {
  await closeAppServices();
  process.env = saved;
  await lab.stop();
});

async function run(name: string): Promise<void> {
  const timer: Timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };
  await getRegistration(name).handler(timer, new InvocationContext({ functionName: name, logHandler: () => undefined }));
}

describe('the lab with the documented configuration', () => {
  it('runs both monitors against its peers with every pair healthy and nobody alerted', async () => {
    await run('heartbeatMonitor');
    await run('backupMonitor');
    expect(sentNotifications(lab)).toEqual([]);
  });

  it("routes an alert about erp to erp's own Teams webhook and on-call address", async () => {
    lab.sql.main.hang(true);
    try {
      await run('heartbeatMonitor');
      await run('heartbeatMonitor');
    } finally {
      lab.sql.main.hang(false);
    }
    const erp = sentNotifications(lab).filter((n) => n.title.includes('erp') || n.to.includes('erp'));
    expect(erp).toEqual(
      expect.arrayContaining([
        { channel: 'teams', to: '/teams/erp', title: 'CRITICAL: Watchdog cannot read the adTempus database' },
        { channel: 'email', to: 'erp-oncall@example.com', title: '[CRITICAL] erp: Watchdog cannot read the adTempus database' },
      ]),
    );
    const payroll = sentNotifications(lab).filter((n) => n.title.includes('payroll') || n.to === '/teams/default');
    expect(payroll.map((n) => n.to).sort()).toEqual(['/teams/default', 'adtempus-ops@example.com']);
  });
});
