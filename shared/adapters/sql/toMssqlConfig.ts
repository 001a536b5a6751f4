import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { config as MssqlConfig } from 'mssql';
import type { DatabaseConfig } from '../../config/configSchema';
import { WatchdogError } from '../../domain/errors';

export interface SqlTimeouts {
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** Where Entra ID tokens come from; replaceable so the mapping is checked without Azure. */
export interface CredentialFactory {
  managedIdentity(clientId: string | undefined): TokenCredential;
  default(): TokenCredential;
}

export const azureCredentials: CredentialFactory = {
  managedIdentity: (clientId) => (clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential()),
  default: () => new DefaultAzureCredential(),
};

/**
 * One connection per database: the watchdog reads a row or two per check, so a second
 * connection would only add logins and sessions on the adTempus SQL Server.
 */
const POOL_MAX = 1;
// Longer than the heartbeat schedule (30 s by default), so checks do not log in every time.
const POOL_IDLE_MS = 5 * 60_000;

/** The mssql configuration for one side's database. Pure: it opens nothing. */
export function toMssqlConfig(
  db: DatabaseConfig,
  password: string | undefined,
  timeouts: SqlTimeouts,
  credentials: CredentialFactory = azureCredentials,
): MssqlConfig {
  // A read must end within about connect + request time, including a wait for the connection.
  const waitMs = timeouts.connectTimeoutMs + timeouts.requestTimeoutMs;
  const base: MssqlConfig = {
    server: db.server,
    database: db.database,
    // A named instance's port comes from SQL Browser; mssql ignores a port given with one.
    ...(db.instanceName === undefined ? { port: db.port } : {}),
    connectionTimeout: timeouts.connectTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    // The default check runs SELECT 1 before every request: against a slow or hung server each
    // check times out, replaces the connection and the read takes several timeouts in all.
    validateConnection: 'socket',
    pool: { min: 0, max: POOL_MAX, idleTimeoutMillis: POOL_IDLE_MS, acquireTimeoutMillis: waitMs, createTimeoutMillis: waitMs },
    options: {
      encrypt: db.encrypt,
      trustServerCertificate: db.trustServerCertificate,
      appName: 'adtempus-watchdog',
      ...(db.instanceName === undefined ? {} : { instanceName: db.instanceName }),
    },
  };
  switch (db.auth.type) {
    case 'sql':
      if (password === undefined) {
        throw new WatchdogError('SQL_PASSWORD_MISSING', `no password was resolved for SQL login "${db.auth.user}"`);
      }
      return { ...base, user: db.auth.user, password };
    case 'managed-identity':
      return { ...base, authentication: { type: 'token-credential', options: { credential: credentials.managedIdentity(db.auth.clientId) } } };
    case 'default':
      return { ...base, authentication: { type: 'token-credential', options: { credential: credentials.default() } } };
  }
}

/** How people recognise the database in messages: server[\instance][:port]/database. */
export function describeDatabase(db: DatabaseConfig): string {
  const server = db.instanceName === undefined ? `${db.server}:${db.port}` : `${db.server}\\${db.instanceName}`;
  return `${server}/${db.database}`;
}
