/**
 * The lab's configuration: two pairs (one shared database, one copied) against local peers.
 * README.md shows exactly this for the default ports; a test keeps the two in step.
 */
export interface LabPorts {
  readonly blob: number;
  readonly sql: number;
  readonly sqlPayrollSecondary: number;
  readonly smtp: number;
  readonly webhook: number;
  readonly control: number;
}

export const DEFAULT_LAB_PORTS: LabPorts = { blob: 10000, sql: 11433, sqlPayrollSecondary: 11434, smtp: 2525, webhook: 7073, control: 7072 };

export const LAB_SQL_LOGIN = { user: 'watchdog', password: 'Lab-Passw0rd!' } as const;

const database = (port: number, name: string, passwordSetting: string): Record<string, unknown> => ({
  server: '127.0.0.1',
  port,
  database: name,
  auth: { type: 'sql', user: LAB_SQL_LOGIN.user, passwordSetting },
  encrypt: false,
});

export function labPairs(ports: LabPorts): unknown[] {
  return [
    {
      id: 'erp',
      instanceName: 'Default',
      strategy: 'shared',
      primary: { hostName: 'ADT-ERP-PRI', machineId: '6b1f4d2e-3c5a-4e7b-9a8d-1f2e3d4c5b6a', database: database(ports.sql, 'adTempusErp', 'ERP_SQL_PASSWORD') },
      secondary: { hostName: 'ADT-ERP-SEC', machineId: '6b1f4d2e-3c5a-4e7b-9a8d-1f2e3d4c5b6a', database: database(ports.sql, 'adTempusErp', 'ERP_SQL_PASSWORD') },
      policy: { staleThresholdSeconds: 60, consecutiveStaleChecks: 2, automaticFailover: false },
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
      policy: { staleThresholdSeconds: 60, consecutiveStaleChecks: 2, automaticFailover: false },
      backup: { container: 'adtempus-backups', prefix: 'payroll/', rpoBudgetMinutes: 60, expectedIntervalMinutes: 30, maxShrinkPercent: 50 },
    },
  ];
}

/** App settings for the lab; `storage` is the lab's Blob connection string. */
export function labSettings(ports: LabPorts, storage = 'UseDevelopmentStorage=true'): Record<string, string> {
  return {
    WATCHDOG_PAIRS: JSON.stringify(labPairs(ports)),
    WatchdogStorage: storage,
    HEARTBEAT_QUERY: 'SELECT owner, heartbeatUtc, dbNowUtc FROM watchdog.adTempusLockView WHERE instanceName = @instance',
    HEARTBEAT_SCHEDULE: '*/10 * * * * *',
    BACKUP_SCHEDULE: '*/30 * * * * *',
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
