import type { ConfigError } from '../../shared/domain/errors';
import type * as FunctionsCore from '../../local/functionsCore';
import { ACTIVITIES, ORCHESTRATIONS } from '../../orchestrations/names';
import { pairInput } from '../support/pairs';

describe('the Functions entry point', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('refuses to start on a bad configuration, naming every problem before registering anything', () => {
    process.env = { ...saved, WATCHDOG_PAIRS: '[{"id":"Bad Id"}]', WatchdogStorage: '', HEARTBEAT_SCHEDULE: 'every minute' };
    let thrown: unknown;
    let registered: string[] = [];
    jest.isolateModules(() => {
      try {
        require('../../functions/index');
      } catch (error) {
        thrown = error;
      }
      registered = [...(require('../../local/functionsCore') as typeof FunctionsCore).getRegistrations().keys()];
    });
    expect(thrown).toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID' });
    expect(registered).toEqual([]);
    const problems = (thrown as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^WatchdogStorage: required/),
        expect.stringMatching(/^WATCHDOG_PAIRS\[0\]\.id: must be/),
        expect.stringMatching(/^WATCHDOG_PAIRS\[0\]\.strategy: /),
        expect.stringMatching(/^HEARTBEAT_SCHEDULE: must be a six-field NCRONTAB/),
      ]),
    );
  });

  it('registers every trigger, the failover orchestration and all its activities on a good configuration', () => {
    process.env = {
      ...saved,
      WatchdogStorage: 'UseDevelopmentStorage=true',
      WATCHDOG_PAIRS: JSON.stringify([pairInput()]),
      ERP_PRIMARY_SQL_PASSWORD: 'x',
      ERP_SECONDARY_SQL_PASSWORD: 'x',
      SMTP_HOST: 'smtp.example.com',
      ALERT_EMAIL_FROM: 'watchdog@example.com',
    };
    let bindings = new Map<string, string[]>();
    jest.isolateModules(() => {
      require('../../functions/index');
      const core = require('../../local/functionsCore') as typeof FunctionsCore;
      bindings = new Map([...core.getRegistrations().values()].map((r) => [r.name, Object.values(r.metadata.bindings).map((b) => b.type)]));
    });

    expect(bindings.get(ORCHESTRATIONS.failover)).toEqual(['orchestrationTrigger']);
    for (const activity of Object.values(ACTIVITIES)) expect(bindings.get(activity)).toEqual(['activityTrigger']);
    expect(bindings.get('heartbeatMonitor')).toEqual(expect.arrayContaining(['timerTrigger', 'durableClient']));
    expect(bindings.get('agentInbox')).toEqual(expect.arrayContaining(['serviceBusTrigger', 'durableClient']));
    expect([...bindings.values()].filter((types) => types.includes('httpTrigger'))).toHaveLength(10);
  });
});
