import { DEFAULT_LOGIN } from '../../test/support/tdsPeer';

/**
 * The monitor benchmark's fleet of pairs, named so that the benchmark (which configures them)
 * and the TDS peer process (which holds their lock rows) agree without talking: pair i has its
 * own adTempus instance, its own hosts and its own databases, so each pair gets its own pool.
 */

const pad = (i: number): string => String(i).padStart(4, '0');

export const fleetPairId = (i: number): string => `bench-${pad(i)}`;
export const fleetInstance = (i: number): string => `Instance${pad(i)}`;
export const fleetPrimaryHost = (i: number): string => `ADT-B${pad(i)}-PRI`;
const fleetSecondaryHost = (i: number): string => `ADT-B${pad(i)}-SEC`;
const fleetMachineId = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

const PASSWORD_SETTING = 'BENCH_SQL_PASSWORD';

function database(peerPort: number, name: string): Record<string, unknown> {
  return {
    server: '127.0.0.1',
    port: peerPort,
    database: name,
    auth: { type: 'sql', user: DEFAULT_LOGIN.user, passwordSetting: PASSWORD_SETTING },
    // The peer refuses TLS in PRELOGIN; tedious then logs in in clear text whatever this says.
    encrypt: false,
  };
}

/** Pairs 0..count-1 as WATCHDOG_PAIRS holds them: copied databases, heartbeat read from the Primary's. */
export function fleetPairs(count: number, peerPort: number): unknown[] {
  return Array.from({ length: count }, (_, i) => ({
    id: fleetPairId(i),
    instanceName: fleetInstance(i),
    strategy: 'copied',
    primary: { hostName: fleetPrimaryHost(i), machineId: fleetMachineId(i), database: database(peerPort, `adTempusB${pad(i)}Pri`) },
    secondary: { hostName: fleetSecondaryHost(i), machineId: fleetMachineId(i), database: database(peerPort, `adTempusB${pad(i)}Sec`) },
    backup: { container: 'adtempus-backups', prefix: `${fleetPairId(i)}/` },
  }));
}

export interface FleetSettingsOptions {
  readonly count: number;
  readonly peerPort: number;
  readonly storageConnectionString: string;
  readonly stateContainer: string;
  /** Taken from the environment when set, so `WATCHDOG_MAX_CONCURRENCY=32 npm run bench:monitor` works. */
  readonly maxConcurrency?: string;
}

/** App settings for loadConfig: everything else (concurrency, SQL timeouts) keeps the product's defaults. */
export function fleetSettings(options: FleetSettingsOptions): Record<string, string> {
  return {
    WatchdogStorage: options.storageConnectionString,
    WATCHDOG_STATE_CONTAINER: options.stateContainer,
    WATCHDOG_PAIRS: JSON.stringify(fleetPairs(options.count, options.peerPort)),
    HEARTBEAT_QUERY: 'SELECT owner, heartbeatUtc, dbNowUtc FROM watchdog.adTempusLockView WHERE instanceName = @instance',
    [PASSWORD_SETTING]: DEFAULT_LOGIN.password,
    // loadConfig insists on a notification target; healthy pairs never reach it.
    TEAMS_WEBHOOK_URL: 'http://127.0.0.1:9/never-called',
    ...(options.maxConcurrency !== undefined ? { WATCHDOG_MAX_CONCURRENCY: options.maxConcurrency } : {}),
  };
}
