import type { ConfigError } from '../../shared/domain/errors';
import type * as FunctionsCore from '../../local/functionsCore';

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
});
