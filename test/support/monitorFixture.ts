import { InvocationContext, type Timer } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { closeAppServices } from '../../shared/composition/appServices';
import { getRegistration } from '../../local/functionsCore';
import type { PairConfigInput } from '../../shared/config/configSchema';
import { testStorage, type TestStorage } from './azurite';
import { pairInput } from './pairs';
import { SmtpSink } from './smtpSink';
import { DEFAULT_LOGIN, LockTable, TdsPeer, lockTableResponder } from './tdsPeer';
import { WebhookSink } from './webhookSink';

/**
 * The watchdog app against real local peers: Azurite, a TDS peer per database server holding
 * an adTempus-like lock table, a Teams webhook sink and an SMTP sink. The app reads its
 * settings from process.env exactly as in Azure.
 */
export interface MonitorFixture {
  readonly storage: TestStorage;
  readonly blob: BlobServiceClient;
  readonly sql: TdsPeer;
  readonly locks: LockTable;
  readonly teams: WebhookSink;
  readonly smtp: SmtpSink;
  readonly logs: string[];
  readonly env: Record<string, string>;
  invoke(functionName: string): Promise<void>;
  close(): Promise<void>;
}

export function databaseAt(port: number, database: string, passwordSetting = 'LAB_SQL_PASSWORD'): NonNullable<PairConfigInput['primary']>['database'] {
  return { server: '127.0.0.1', port, database, auth: { type: 'sql', user: DEFAULT_LOGIN.user, passwordSetting }, encrypt: false };
}

/** A copied pair whose two databases live on the fixture's TDS peer. */
export function peerPair(port: number, overrides: Partial<PairConfigInput> = {}): PairConfigInput {
  const base = pairInput();
  return pairInput({
    primary: { ...base.primary, database: databaseAt(port, `${overrides.id ?? 'erp'}Pri`) },
    secondary: { ...base.secondary, database: databaseAt(port, `${overrides.id ?? 'erp'}Sec`) },
    policy: { staleThresholdSeconds: 60, consecutiveStaleChecks: 2, automaticFailover: false },
    ...overrides,
  });
}

export async function startMonitorFixture(name: string, pairs: (sqlPort: number) => PairConfigInput[], extraEnv: Record<string, string> = {}): Promise<MonitorFixture> {
  const storage = await testStorage();
  const locks = new LockTable();
  const sql = await TdsPeer.start({ respond: lockTableResponder(locks) });
  const teams = await WebhookSink.start();
  const smtp = await SmtpSink.start();
  const logs: string[] = [];
  const env: Record<string, string> = {
    WatchdogStorage: storage.connectionString,
    WATCHDOG_STATE_CONTAINER: `state-${name}`,
    WATCHDOG_PAIRS: JSON.stringify(pairs(sql.port)),
    LAB_SQL_PASSWORD: DEFAULT_LOGIN.password,
    ERP_PRIMARY_SQL_PASSWORD: DEFAULT_LOGIN.password,
    ERP_SECONDARY_SQL_PASSWORD: DEFAULT_LOGIN.password,
    HEARTBEAT_SCHEDULE: '*/30 * * * * *',
    BACKUP_SCHEDULE: '0 */5 * * * *',
    SQL_CONNECT_TIMEOUT_MS: '2000',
    SQL_REQUEST_TIMEOUT_MS: '1000',
    TEAMS_WEBHOOK_URL: teams.url,
    TEAMS_MAX_ATTEMPTS: '2',
    TEAMS_TIMEOUT_MS: '1000',
    ALERT_EMAIL_FROM: 'watchdog@example.com',
    SMTP_HOST: smtp.host,
    SMTP_PORT: String(smtp.port),
    SMTP_TLS: 'none',
    WATCHDOG_STATUS_URL: 'https://watchdog.example.com',
    ...extraEnv,
  };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  await closeAppServices();
  return {
    storage,
    blob: BlobServiceClient.fromConnectionString(storage.connectionString),
    sql,
    locks,
    teams,
    smtp,
    logs,
    env,
    invoke: async (functionName) => {
      const registration = getRegistration(functionName);
      const timer: Timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };
      const context = new InvocationContext({ functionName, logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`) });
      await registration.handler(timer, context);
    },
    close: async () => {
      await closeAppServices();
      process.env = saved;
      await Promise.all([sql.stop(), teams.close(), smtp.close(), storage.release()]);
    },
  };
}
