import { WATCHDOG_INBOX_QUEUE } from '../../shared/contracts/agentCommands';

/**
 * The lab's configuration: two pairs (one shared database, one copied) against local peers, with
 * time scaled down so a whole failover takes well under two minutes. README.md shows exactly this
 * for the default ports; a test keeps the two in step.
 */
export interface LabPorts {
  readonly blob: number;
  readonly sql: number;
  readonly sqlPayrollSecondary: number;
  readonly smtp: number;
  readonly webhook: number;
  readonly control: number;
  /** The local AMQP broker that stands in for Service Bus. */
  readonly serviceBus: number;
}

export const DEFAULT_LAB_PORTS: LabPorts = {
  blob: 10000,
  sql: 11433,
  sqlPayrollSecondary: 11434,
  smtp: 2525,
  webhook: 7073,
  control: 7072,
  // The Service Bus emulator's port, so UseDevelopmentEmulator strings look as they do elsewhere.
  serviceBus: 5672,
};

/** Zeros everywhere: every peer picks a free port (tests, benchmarks). */
export const ANY_LAB_PORTS: LabPorts = { blob: 0, sql: 0, sqlPayrollSecondary: 0, smtp: 0, webhook: 0, control: 0, serviceBus: 0 };

export const LAB_SQL_LOGIN = { user: 'watchdog', password: 'Lab-Passw0rd!' } as const;

/**
 * The lab's clock, scaled down from production. The takeover delay is adTempus's (a new owner may
 * take the lock once the old heartbeat is this old) and the pairs' staleThresholdSeconds; the
 * watchdog's configuration does not accept less than 30 s.
 */
export const LAB_TIMING = {
  takeoverDelaySeconds: 30,
  adTempusHeartbeatSeconds: 2,
  agentHeartbeatSeconds: 2,
  heartbeatMonitorSeconds: 5,
  consecutiveChecks: 2,
  /** How often a running simulated adTempus has its database backed up into the host's backup folder. */
  backupIntervalSeconds: 60,
  /** The agents' backup-folder scans and their fence re-checks. */
  backupPollSeconds: 5,
  /**
   * The lab writes each backup aside and renames it into place, so a file is complete the moment
   * it appears; the agents' production wait (a minute of unchanged size and time stamp) would
   * only slow the lab's clock down.
   */
  backupSettleSeconds: 1,
  fenceCheckSeconds: 5,
  stopTimeoutSeconds: 10,
  startTimeoutSeconds: 20,
} as const;

const SERVICE_BUS_KEY = 'SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=not-a-secret;UseDevelopmentEmulator=true';

/** A Service Bus connection string for the lab's broker: UseDevelopmentEmulator means plain AMQP on that port. */
export function labServiceBusConnection(port: number): string {
  return `Endpoint=sb://127.0.0.1:${port};${SERVICE_BUS_KEY}`;
}

/** One side of a lab pair, as the lab reads it. */
export interface LabSideSpec {
  readonly hostName: string;
  readonly machineId: string;
  readonly database: { readonly database: string };
}

/** The parts of a lab pair's configuration (labPairs) the lab itself reads. */
export interface LabPair {
  readonly id: string;
  readonly instanceName: string;
  readonly strategy: 'shared' | 'copied';
  readonly primary: LabSideSpec;
  readonly secondary: LabSideSpec;
  readonly policy: { readonly staleThresholdSeconds: number };
  readonly backup: { readonly container: string; readonly prefix: string; readonly expectedIntervalMinutes: number };
}

const database = (port: number, name: string, passwordSetting: string): Record<string, unknown> => ({
  server: '127.0.0.1',
  port,
  database: name,
  auth: { type: 'sql', user: LAB_SQL_LOGIN.user, passwordSetting },
  encrypt: false,
});

const policy = { staleThresholdSeconds: LAB_TIMING.takeoverDelaySeconds, consecutiveStaleChecks: LAB_TIMING.consecutiveChecks, automaticFailover: true };

/** The runbook's bounds, scaled like the rest of the lab (the schema's minimums where it has them). */
const failover = {
  maxRestartsInPlace: 2,
  restartWindowSeconds: 120,
  coolDownSeconds: 600,
  approvalTimeoutSeconds: 300,
  stopTimeoutSeconds: LAB_TIMING.stopTimeoutSeconds,
  startTimeoutSeconds: LAB_TIMING.startTimeoutSeconds,
  restoreTimeoutSeconds: 60,
  replyGraceSeconds: 5,
  commandAttempts: 2,
  verifyTimeoutSeconds: 30,
  verifyPollSeconds: 2,
};

export function labPairs(ports: LabPorts): unknown[] {
  return [
    {
      id: 'erp',
      instanceName: 'Default',
      strategy: 'shared',
      primary: { hostName: 'ADT-ERP-PRI', machineId: '6b1f4d2e-3c5a-4e7b-9a8d-1f2e3d4c5b6a', database: database(ports.sql, 'adTempusErp', 'ERP_SQL_PASSWORD') },
      secondary: { hostName: 'ADT-ERP-SEC', machineId: '6b1f4d2e-3c5a-4e7b-9a8d-1f2e3d4c5b6a', database: database(ports.sql, 'adTempusErp', 'ERP_SQL_PASSWORD') },
      policy,
      failover,
      backup: { container: 'adtempus-backups', prefix: 'erp/', rpoBudgetMinutes: 1500, expectedIntervalMinutes: 1440 },
      notify: { teamsWebhookSettings: ['TEAMS_WEBHOOK_ERP'], email: ['erp-oncall@example.com'] },
    },
    {
      id: 'payroll',
      instanceName: 'Payroll',
      strategy: 'copied',
      primary: { hostName: 'ADT-PAY-PRI', machineId: '0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f', database: database(ports.sql, 'adTempusPayrollPri', 'PAYROLL_SQL_PASSWORD') },
      secondary: {
        hostName: 'ADT-PAY-SEC',
        machineId: '0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f',
        database: database(ports.sqlPayrollSecondary, 'adTempusPayrollSec', 'PAYROLL_SQL_PASSWORD'),
      },
      policy,
      failover,
      backup: { container: 'adtempus-backups', prefix: 'payroll/', rpoBudgetMinutes: 60, expectedIntervalMinutes: 30, maxShrinkPercent: 50 },
    },
  ];
}

/** App settings for the lab; `storage` is the lab's Blob connection string. */
export function labSettings(ports: LabPorts, storage = 'UseDevelopmentStorage=true', pairs: unknown[] = labPairs(ports)): Record<string, string> {
  return {
    WATCHDOG_PAIRS: JSON.stringify(pairs),
    WatchdogStorage: storage,
    HEARTBEAT_QUERY: 'SELECT owner, heartbeatUtc, dbNowUtc FROM watchdog.adTempusLockView WHERE instanceName = @instance',
    HEARTBEAT_SCHEDULE: `*/${LAB_TIMING.heartbeatMonitorSeconds} * * * * *`,
    BACKUP_SCHEDULE: '*/30 * * * * *',
    SQL_CONNECT_TIMEOUT_MS: '3000',
    SQL_REQUEST_TIMEOUT_MS: '3000',
    ServiceBusConnection: labServiceBusConnection(ports.serviceBus),
    WATCHDOG_INBOX_QUEUE,
    AGENT_HEARTBEAT_INTERVAL_SECONDS: String(LAB_TIMING.agentHeartbeatSeconds),
    ERP_SQL_PASSWORD: LAB_SQL_LOGIN.password,
    PAYROLL_SQL_PASSWORD: LAB_SQL_LOGIN.password,
    TEAMS_WEBHOOK_ERP: `http://127.0.0.1:${ports.webhook}/teams/erp`,
    TEAMS_WEBHOOK_URL: `http://127.0.0.1:${ports.webhook}/teams/default`,
    ALERT_EMAIL_TO: 'adtempus-ops@example.com',
    ALERT_EMAIL_FROM: 'adTempus watchdog <watchdog@example.com>',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(ports.smtp),
    SMTP_TLS: 'none',
  };
}
