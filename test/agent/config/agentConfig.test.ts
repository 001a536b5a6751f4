import { loadAgentConfig, type Env } from '../../../agent/config/agentConfig';
import { ConfigError } from '../../../shared/domain/errors';

const SB_KEY = 'SbKeyThatMustNotLeak0123456789abcdefABCDEF=';
const STORAGE_KEY = 'StorageKeyThatMustNotLeak0123456789==';
const SAS_SIG = 'sig=SasSignatureThatMustNotLeak%3D';
const SQL_PASSWORD = 'SqlPasswordThatMustNotLeak!';
const SECRETS = [SB_KEY, STORAGE_KEY, SAS_SIG, SQL_PASSWORD];

const SB = `Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=agent;SharedAccessKey=${SB_KEY}`;
const STORAGE = `DefaultEndpointsProtocol=https;AccountName=contosowatchdog;AccountKey=${STORAGE_KEY};EndpointSuffix=core.windows.net`;

function env(overrides: Record<string, string | undefined> = {}): Env {
  return {
    ADTEMPUS_AGENT_PAIR_ID: 'payroll',
    ADTEMPUS_AGENT_PRIMARY_HOST: 'ADT-PAY-PRI',
    ADTEMPUS_AGENT_SERVICEBUS_CONNECTION_STRING: SB,
    ADTEMPUS_AGENT_FENCE_CONNECTION_STRING: STORAGE,
    ADTEMPUS_AGENT_SERVICE_NAME: 'ADTempus',
    ADTEMPUS_AGENT_STATE_DIR: 'C:\\ProgramData\\adTempusAgent',
    PATH: '/usr/bin',
    ...overrides,
  };
}

function problemsOf(e: Env, files: Record<string, string> = {}): string[] {
  try {
    loadAgentConfig(e, { hostName: 'ADT-PAY-SEC.corp.example', readTextFile: (p) => read(files, p) });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    for (const secret of SECRETS) expect((error as Error).message).not.toContain(secret);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected the configuration to be refused');
}

function read(files: Record<string, string>, path: string): string {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
}

describe('loadAgentConfig', () => {
  it('reads a minimal configuration with its defaults', () => {
    const config = loadAgentConfig(env(), { hostName: 'ADT-PAY-SEC.corp.example' });

    expect(config).toMatchObject({
      hostName: 'ADT-PAY-SEC',
      pairId: 'payroll',
      serviceBus: { auth: { kind: 'connectionString' }, inboxQueue: 'watchdog-inbox', commandQueue: 'agent-adt-pay-sec' },
      fence: { source: { kind: 'connectionString' }, container: 'watchdog-state' },
      service: { name: 'ADTempus', control: 'windows', registry: { key: 'HKLM\\SOFTWARE\\Arcana Development\\adTempus\\Instances\\Default', machineIdValue: 'MachineID' } },
      heartbeatIntervalSeconds: 5,
      stopTimeoutSeconds: 120,
      startTimeoutSeconds: 120,
      killOnFence: true,
      startAtBoot: false,
      diskPaths: [],
    });
    expect(config.backup).toBeUndefined();
    expect(config.restore).toBeUndefined();
  });

  it('reads the start at boot and the backup settle time', () => {
    const config = loadAgentConfig(
      env({ ADTEMPUS_AGENT_START_AT_BOOT: 'true', ADTEMPUS_AGENT_BACKUP_FOLDER: 'D:\\adTempus\\Backups', ADTEMPUS_AGENT_BACKUP_CONTAINER: 'backups', ADTEMPUS_AGENT_BACKUP_SETTLE_SECONDS: '15' }),
      { hostName: 'ADT-PAY-PRI' },
    );

    expect(config.startAtBoot).toBe(true);
    expect(config.backup).toMatchObject({ folder: 'D:\\adTempus\\Backups', settleSeconds: 15, pollIntervalSeconds: 60 });
  });

  it('waits a minute for a backup to settle unless told otherwise', () => {
    const config = loadAgentConfig(env({ ADTEMPUS_AGENT_BACKUP_FOLDER: 'D:\\adTempus\\Backups', ADTEMPUS_AGENT_BACKUP_CONTAINER: 'backups' }), { hostName: 'ADT-PAY-PRI' });

    expect(config.backup?.settleSeconds).toBe(60);
  });

  it('freezes the configuration', () => {
    const config = loadAgentConfig(env(), { hostName: 'ADT-PAY-SEC' });

    expect(Object.isFrozen(config.serviceBus.auth)).toBe(true);
  });

  it('reads a JSON file named by ADTEMPUS_AGENT_CONFIG, with variables winning over it', () => {
    const file = {
      pairId: 'erp',
      hostName: 'ADT-ERP-SEC',
      primaryHost: 'ADT-ERP-PRI',
      serviceBus: { fullyQualifiedNamespace: 'contoso.servicebus.windows.net', clientId: '3f1e0c2a-1b2c-4d3e-8f9a-0b1c2d3e4f5a' },
      fence: { blobServiceUri: 'https://contosowatchdog.blob.core.windows.net' },
      service: { name: 'ADTempus$Erp' },
      stateDir: 'D:\\agent',
      backup: { folder: 'D:\\adTempus\\backups', container: 'adtempus-backups' },
      restore: { mode: 'tsql', database: 'adTempus', downloadDir: 'D:\\restore', sql: { instanceName: 'SQLEXPRESS', auth: { user: 'restorer', password: SQL_PASSWORD } } },
      heartbeatIntervalSeconds: 10,
    };

    const config = loadAgentConfig(
      { ADTEMPUS_AGENT_CONFIG: 'D:\\agent\\agent.json', ADTEMPUS_AGENT_HEARTBEAT_SECONDS: '3' },
      { hostName: 'ignored', readTextFile: (p) => read({ 'D:\\agent\\agent.json': `\uFEFF${JSON.stringify(file)}` }, p) },
    );

    expect(config).toMatchObject({
      pairId: 'erp',
      hostName: 'ADT-ERP-SEC',
      primaryHost: 'ADT-ERP-PRI',
      serviceBus: { auth: { kind: 'identity', fullyQualifiedNamespace: 'contoso.servicebus.windows.net' }, commandQueue: 'agent-adt-erp-sec' },
      fence: { source: { kind: 'identity', blobServiceUri: 'https://contosowatchdog.blob.core.windows.net' } },
      backup: { pattern: '*.bak', prefix: 'erp/', container: 'adtempus-backups', source: { kind: 'identity' } },
      restore: { mode: 'tsql', freeSpaceFactor: 3, sql: { server: 'localhost', encrypt: true, trustServerCertificate: true } },
      heartbeatIntervalSeconds: 3,
    });
  });

  it('reads the fence through a container SAS and takes the container from it', () => {
    const config = loadAgentConfig(
      env({ ADTEMPUS_AGENT_FENCE_CONNECTION_STRING: undefined, ADTEMPUS_AGENT_FENCE_CONTAINER_SAS_URL: `https://contosowatchdog.blob.core.windows.net/watchdog-prod?sv=2025-01-05&sr=c&sp=r&${SAS_SIG}` }),
      { hostName: 'ADT-PAY-SEC' },
    );

    expect(config.fence).toMatchObject({ source: { kind: 'containerSasUrl' }, container: 'watchdog-prod' });
  });

  it('runs the lab service as a process', () => {
    const config = loadAgentConfig(
      env({ ADTEMPUS_AGENT_SERVICE_NAME: undefined, ADTEMPUS_AGENT_SERVICE_CONTROL: 'process', ADTEMPUS_AGENT_PROCESS_COMMAND: '/usr/bin/node', ADTEMPUS_AGENT_PROCESS_ARGS: '["fake.js","--x"]' }),
      { hostName: 'lab' },
    );

    expect(config.service).toMatchObject({ control: 'process', process: { command: '/usr/bin/node', args: ['fake.js', '--x'] } });
  });

  it('requires the adTempus service name for Windows, because adTempus 5 does not document it', () => {
    expect(problemsOf(env({ ADTEMPUS_AGENT_SERVICE_NAME: undefined }))).toEqual([expect.stringMatching(/^service\.name \(ADTEMPUS_AGENT_SERVICE_NAME\): required/)]);
  });

  it('names every problem at once, and the variable to fix', () => {
    const problems = problemsOf({
      ADTEMPUS_AGENT_PAIR_ID: 'Pay Roll',
      ADTEMPUS_AGENT_SERVICEBUS_CONNECTION_STRING: `Endpoint=https://wrong/;SharedAccessKey=${SB_KEY}`,
      ADTEMPUS_AGENT_FENCE_CONNECTION_STRING: STORAGE,
      ADTEMPUS_AGENT_FENCE_CONTAINER_SAS_URL: `https://x.blob.core.windows.net/c1?sp=r&${SAS_SIG}`,
      ADTEMPUS_AGENT_SERVICE_CONTROL: 'systemd',
      ADTEMPUS_AGENT_STATE_DIR: 'relative\\dir',
      ADTEMPUS_AGENT_HEARTBEAT_SECONDS: 'often',
      ADTEMPUS_AGENT_STOP_TIMEOUT_SECONDS: '0',
      ADTEMPUS_AGENT_KILL_ON_FENCE: 'maybe',
      ADTEMPUS_AGENT_START_AT_BOOT: 'yes please',
      ADTEMPUS_AGENT_BACKUP_FOLDER: 'D:\\Backups',
      ADTEMPUS_AGENT_BACKUP_SETTLE_SECONDS: '0',
      ADTEMPUS_AGENT_RESTORE_MODE: 'tsql',
      ADTEMPUS_AGENT_RESTORE_SQL_PASSWORD: SQL_PASSWORD,
      ADTEMPUS_AGENT_HEARTBEAT_SECS: '5',
    });

    expect(problems).toEqual(
      expect.arrayContaining([
        'pairId (ADTEMPUS_AGENT_PAIR_ID): must be a pair id (1-40 lower-case letters, digits, hyphens)',
        expect.stringMatching(/^service\.control \(ADTEMPUS_AGENT_SERVICE_CONTROL\): must be "windows" or "process"/),
        'stateDir (ADTEMPUS_AGENT_STATE_DIR): must be an absolute path',
        'heartbeatIntervalSeconds (ADTEMPUS_AGENT_HEARTBEAT_SECONDS): must be a number',
        'stopTimeoutSeconds (ADTEMPUS_AGENT_STOP_TIMEOUT_SECONDS): must be at least 1',
        'killOnFence (ADTEMPUS_AGENT_KILL_ON_FENCE): must be true or false',
        'startAtBoot (ADTEMPUS_AGENT_START_AT_BOOT): must be true or false',
        'backup.settleSeconds (ADTEMPUS_AGENT_BACKUP_SETTLE_SECONDS): must be at least 1',
        'restore.database (ADTEMPUS_AGENT_RESTORE_DATABASE): required',
        'restore.sql.auth.user (ADTEMPUS_AGENT_RESTORE_SQL_USER): required',
        'serviceBus.connectionString (ADTEMPUS_AGENT_SERVICEBUS_CONNECTION_STRING): not a Service Bus connection string (Endpoint=sb://...)',
        expect.stringMatching(/^fence: set exactly one of connectionString/),
        'ADTEMPUS_AGENT_HEARTBEAT_SECS: unknown setting (a typo?)',
      ]),
    );
  });

  it.each([
    ['an http URL to a real account', 'http://x.blob.core.windows.net/c1?sp=r&sig=a', 'must be https'],
    ['no signature', 'https://x.blob.core.windows.net/c1?sp=r', 'has no SAS token'],
    ['no read permission', 'https://x.blob.core.windows.net/c1?sp=w&sig=a', 'must grant read permission'],
    ['a blob SAS', 'https://x.blob.core.windows.net/c1/b?sr=b&sp=r&sig=a', 'must be a container SAS'],
  ])('refuses a fence container SAS with %s, without quoting it', (_what, url, rule) => {
    const problems = problemsOf(env({ ADTEMPUS_AGENT_FENCE_CONNECTION_STRING: undefined, ADTEMPUS_AGENT_FENCE_CONTAINER_SAS_URL: url }));

    expect(problems).toEqual([expect.stringContaining(rule)]);
    expect(problems.join('\n')).not.toContain('x.blob.core.windows.net');
  });

  it('needs backup storage of its own when the fence is read through a SAS', () => {
    const problems = problemsOf(
      env({
        ADTEMPUS_AGENT_FENCE_CONNECTION_STRING: undefined,
        ADTEMPUS_AGENT_FENCE_CONTAINER_SAS_URL: `https://x.blob.core.windows.net/watchdog-state?sp=r&${SAS_SIG}`,
        ADTEMPUS_AGENT_BACKUP_FOLDER: 'D:\\backups',
        ADTEMPUS_AGENT_BACKUP_CONTAINER: 'adtempus-backups',
      }),
    );

    expect(problems).toEqual([expect.stringMatching(/^backup: needs its own storage/)]);
  });

  it('names a config file it cannot read or parse, never its content', () => {
    expect(problemsOf(env({ ADTEMPUS_AGENT_CONFIG: 'C:\\agent\\missing.json' }))).toContain('ADTEMPUS_AGENT_CONFIG: file C:\\agent\\missing.json cannot be read (ENOENT)');
    const broken = problemsOf(env({ ADTEMPUS_AGENT_CONFIG: 'C:\\agent\\broken.json' }), { 'C:\\agent\\broken.json': `{"restore": {"sql": {"auth": {"password": "${SQL_PASSWORD}"` });
    expect(broken).toEqual([expect.stringMatching(/^ADTEMPUS_AGENT_CONFIG: file C:\\agent\\broken\.json is not valid JSON/)]);
  });

  it('asks for the host name when this computer\'s name cannot be one', () => {
    const problems = (() => {
      try {
        loadAgentConfig(env(), { hostName: 'my_laptop' });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    })();

    expect(problems).toEqual([expect.stringMatching(/^hostName \(ADTEMPUS_AGENT_HOST_NAME\): required/)]);
  });
});
