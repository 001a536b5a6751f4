import type { ResolvedPair } from '../../shared/config/loadConfig';
import type { PairConfigInput } from '../../shared/config/configSchema';
import { pairSchema } from '../../shared/config/configSchema';

/** A valid copied-database pair as configuration input; override what a test needs. */
export function pairInput(overrides: Partial<PairConfigInput> = {}): PairConfigInput {
  return {
    id: 'erp',
    instanceName: 'Default',
    strategy: 'copied',
    primary: {
      hostName: 'ADT-PRI01',
      machineId: '7f3c1e2a-0000-4000-8000-000000000001',
      database: { server: 'adt-pri01.corp.example', database: 'adTempus', auth: { type: 'sql', user: 'watchdog', passwordSetting: 'ERP_PRIMARY_SQL_PASSWORD' } },
    },
    secondary: {
      hostName: 'ADT-SEC01',
      machineId: '7f3c1e2a-0000-4000-8000-000000000001',
      database: { server: 'adt-sec01.corp.example', database: 'adTempus', auth: { type: 'sql', user: 'watchdog', passwordSetting: 'ERP_SECONDARY_SQL_PASSWORD' } },
    },
    heartbeatQuery: 'SELECT owner, heartbeatUtc, dbNowUtc FROM watchdog.adTempusLock WHERE instance = @instance',
    backup: { container: 'adtempus-backups', prefix: 'erp/' },
    notify: { teamsWebhookSettings: [], email: ['ops@example.com'] },
    ...overrides,
  };
}

/** The same pair, parsed and resolved as the app sees it (secrets filled with test values). */
export function resolvedPair(overrides: Partial<PairConfigInput> = {}): ResolvedPair {
  const parsed = pairSchema.parse(pairInput(overrides));
  return {
    ...parsed,
    heartbeatQuery: parsed.heartbeatQuery ?? '',
    teamsWebhookUrls: [],
    secrets: { primaryPassword: 'Test-Passw0rd', secondaryPassword: 'Test-Passw0rd' },
  };
}
