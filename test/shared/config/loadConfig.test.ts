import { loadConfig, type Env } from '../../../shared/config/loadConfig';
import { ConfigError } from '../../../shared/domain/errors';
import { pairInput } from '../../support/pairs';

const SECRET = 'S3cret-Value-That-Must-Not-Leak';

function env(overrides: Env = {}, pairs: unknown = [pairInput()]): Env {
  return {
    WatchdogStorage: 'UseDevelopmentStorage=true',
    WATCHDOG_PAIRS: JSON.stringify(pairs),
    ERP_PRIMARY_SQL_PASSWORD: SECRET,
    ERP_SECONDARY_SQL_PASSWORD: SECRET,
    SMTP_HOST: 'smtp.example.com',
    ALERT_EMAIL_FROM: 'watchdog@example.com',
    ...overrides,
  };
}

function problemsOf(e: Env): string[] {
  try {
    loadConfig(e);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain(SECRET);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('reads a valid configuration with its defaults', () => {
    const config = loadConfig(env());
    expect(config.pairs).toHaveLength(1);
    expect(config.pairs[0]).toMatchObject({
      id: 'erp',
      policy: { staleThresholdSeconds: 300, consecutiveStaleChecks: 3, automaticFailover: false },
      backup: { rpoBudgetMinutes: 1440, expectedIntervalMinutes: 1440, maxShrinkPercent: 50 },
      secrets: { primaryPassword: SECRET, secondaryPassword: SECRET },
    });
    expect(config.heartbeatSchedule).toBe('*/30 * * * * *');
    expect(config.backupSchedule).toBe('0 */5 * * * *');
    expect(config.notify.smtp).toMatchObject({ host: 'smtp.example.com', port: 587, tls: 'starttls' });
  });

  it('freezes the configuration', () => {
    const config = loadConfig(env());
    expect(Object.isFrozen(config.pairs[0]!.policy)).toBe(true);
  });

  it('names every problem at once', () => {
    const bad = pairInput({ id: 'Bad Id!', strategy: 'mirror' as never, policy: { staleThresholdSeconds: 5 } });
    const problems = problemsOf(env({ WatchdogStorage: undefined, HEARTBEAT_SCHEDULE: '* * * * *', WATCHDOG_MAX_CONCURRENCY: 'many' }, [bad]));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^WatchdogStorage: required/),
        expect.stringMatching(/^WATCHDOG_PAIRS\[0\]\.id: must be/),
        expect.stringMatching(/^WATCHDOG_PAIRS\[0\]\.strategy: Invalid option/),
        expect.stringMatching(/^WATCHDOG_PAIRS\[0\]\.policy\.staleThresholdSeconds/),
        expect.stringMatching(/^HEARTBEAT_SCHEDULE: must be a six-field NCRONTAB/),
        expect.stringMatching(/^WATCHDOG_MAX_CONCURRENCY: must be a whole number/),
      ]),
    );
  });

  it('refuses a missing or malformed pair list', () => {
    expect(problemsOf(env({ WATCHDOG_PAIRS: undefined }))).toContainEqual(expect.stringMatching(/^WATCHDOG_PAIRS: required/));
    expect(problemsOf(env({ WATCHDOG_PAIRS: '[{' }))).toContainEqual(expect.stringMatching(/^WATCHDOG_PAIRS: not valid JSON/));
    expect(problemsOf(env({ WATCHDOG_PAIRS: '[]' }))).toContainEqual('WATCHDOG_PAIRS: must be a non-empty JSON array');
    expect(problemsOf(env({ WATCHDOG_PAIRS: '{"id":"erp"}' }))).toContainEqual('WATCHDOG_PAIRS: must be a non-empty JSON array');
  });

  it('names a missing secret setting without echoing any value', () => {
    expect(problemsOf(env({ ERP_PRIMARY_SQL_PASSWORD: undefined }))).toEqual([
      'WATCHDOG_PAIRS[0].primary.database.auth.passwordSetting: setting ERP_PRIMARY_SQL_PASSWORD is not set',
    ]);
  });

  it('refuses a Teams webhook setting that is not a URL without showing it', () => {
    const pair = pairInput({ notify: { teamsWebhookSettings: ['TEAMS_ERP'] } });
    const problems = problemsOf(env({ TEAMS_ERP: SECRET }, [pair]));
    expect(problems).toEqual(['WATCHDOG_PAIRS[0].notify.teamsWebhookSettings[0]: setting TEAMS_ERP does not hold an http(s) URL']);
  });

  it('refuses duplicate pair ids and a pair whose two sides are one host', () => {
    const twin = pairInput();
    const same = pairInput({ id: 'crm', secondary: { ...pairInput().primary } });
    const problems = problemsOf(env({}, [twin, twin, same]));
    expect(problems).toContainEqual('WATCHDOG_PAIRS[1].id: duplicate pair id "erp"');
    expect(problems).toContainEqual('WATCHDOG_PAIRS[2]: primary and secondary must be different hosts');
  });

  it('checks that the database strategy matches the connections', () => {
    const sharedButTwoDbs = pairInput({ strategy: 'shared' });
    expect(problemsOf(env({}, [sharedButTwoDbs]))).toContainEqual(expect.stringMatching(/strategy "shared" needs both sides to name the same database/));
    const primary = pairInput().primary;
    const copiedButOneDb = pairInput({ secondary: { ...pairInput().secondary, database: primary.database } });
    expect(problemsOf(env({}, [copiedButOneDb]))).toContainEqual(expect.stringMatching(/strategy "copied" needs a separate database per side/));
  });

  it('requires a heartbeat query on the pair or as HEARTBEAT_QUERY', () => {
    const withoutQuery = { ...pairInput() } as Record<string, unknown>;
    delete withoutQuery.heartbeatQuery;
    expect(problemsOf(env({}, [withoutQuery]))).toEqual(['WATCHDOG_PAIRS[0].heartbeatQuery: required when HEARTBEAT_QUERY is not set']);
    expect(loadConfig(env({ HEARTBEAT_QUERY: 'SELECT 1' }, [withoutQuery])).pairs[0]!.heartbeatQuery).toBe('SELECT 1');
  });

  it('requires an SMTP relay when email recipients are configured', () => {
    expect(problemsOf(env({ SMTP_HOST: undefined }))).toEqual(['SMTP_HOST: required because email recipients are configured']);
  });

  it('refuses to send an SMTP password in clear text to a remote relay', () => {
    const problems = problemsOf(env({ SMTP_TLS: 'none', SMTP_USER: 'watchdog', SMTP_PASSWORD: SECRET }));
    expect(problems).toEqual(['SMTP_TLS: "none" would send the SMTP password in clear text; use starttls or implicit']);
  });

  it('requires a notification target for every pair', () => {
    const silent = pairInput({ notify: { teamsWebhookSettings: [], email: [] } });
    expect(problemsOf(env({}, [silent]))).toEqual([expect.stringMatching(/^pair erp: no notification target/)]);
    expect(loadConfig(env({ TEAMS_WEBHOOK_URL: 'https://example.com/workflows/x' }, [silent])).notify.defaultTeamsWebhookUrls).toHaveLength(1);
  });

  it('accepts managed identity for storage and SQL without any secret', () => {
    const pair = pairInput({
      primary: { ...pairInput().primary, database: { server: 'sql.example.com', database: 'adTempus', auth: { type: 'managed-identity' } } },
      secondary: { ...pairInput().secondary, database: { server: 'sql.example.com', database: 'adTempus', auth: { type: 'managed-identity' } } },
      strategy: 'shared',
    });
    const config = loadConfig(env({ WatchdogStorage: undefined, WatchdogStorage__blobServiceUri: 'https://acct.blob.core.windows.net', ERP_PRIMARY_SQL_PASSWORD: undefined }, [pair]));
    expect(config.storage).toEqual({ kind: 'identity', blobServiceUri: 'https://acct.blob.core.windows.net' });
    expect(config.pairs[0]!.secrets).toEqual({});
  });

  it('reads the agents\' Service Bus namespace by connection string or by managed identity', () => {
    expect(loadConfig(env({ ServiceBusConnection: 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=x' })).serviceBus).toMatchObject({
      kind: 'connectionString',
    });
    const identity = loadConfig(env({ ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net', ServiceBusConnection__clientId: 'abc' }));
    expect(identity.serviceBus).toEqual({ kind: 'identity', fullyQualifiedNamespace: 'ns.servicebus.windows.net', clientId: 'abc' });
    expect(identity.inboxQueue).toBe('watchdog-inbox');
    expect(identity.agentHeartbeatIntervalSeconds).toBe(5);
  });

  it('names bad Service Bus settings without echoing a connection string', () => {
    const problems = problemsOf(env({ ServiceBusConnection: SECRET, WATCHDOG_INBOX_QUEUE: 'bad queue!', AGENT_HEARTBEAT_INTERVAL_SECONDS: '0' }));
    expect(problems).toEqual([
      'ServiceBusConnection: not a Service Bus connection string (Endpoint=sb://...)',
      'WATCHDOG_INBOX_QUEUE: must be a Service Bus queue name (letters, digits, ".", "_", "-")',
      'AGENT_HEARTBEAT_INTERVAL_SECONDS: must be a whole number from 1 to 300',
    ]);
  });
});

