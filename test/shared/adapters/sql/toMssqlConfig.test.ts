import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { describeDatabase, toMssqlConfig, type CredentialFactory } from '../../../../shared/adapters/sql/toMssqlConfig';
import { databaseSchema, type DatabaseConfig } from '../../../../shared/config/configSchema';

const TIMEOUTS = { connectTimeoutMs: 5_000, requestTimeoutMs: 7_000 };

function database(overrides: Record<string, unknown> = {}): DatabaseConfig {
  return databaseSchema.parse({
    server: 'sql01.corp.example',
    database: 'adTempus',
    auth: { type: 'sql', user: 'watchdog', passwordSetting: 'ERP_SQL_PASSWORD' },
    ...overrides,
  });
}

describe('toMssqlConfig', () => {
  it('maps SQL authentication to the login and the resolved password', () => {
    const config = toMssqlConfig(database(), 'S3cret!', TIMEOUTS);

    expect(config).toMatchObject({ server: 'sql01.corp.example', port: 1433, database: 'adTempus', user: 'watchdog', password: 'S3cret!' });
    expect(config.authentication).toBeUndefined();
  });

  it('maps a system-assigned managed identity to token-credential authentication with a ManagedIdentityCredential', () => {
    const config = toMssqlConfig(database({ auth: { type: 'managed-identity' } }), undefined, TIMEOUTS);

    expect(config.authentication?.type).toBe('token-credential');
    expect((config.authentication?.options as { credential: TokenCredential }).credential).toBeInstanceOf(ManagedIdentityCredential);
    expect(config.user).toBeUndefined();
    expect(config.password).toBeUndefined();
  });

  it("hands a user-assigned identity's client id to the credential", () => {
    const asked: (string | undefined)[] = [];
    const credential: TokenCredential = { getToken: async () => null };
    const credentials: CredentialFactory = {
      managedIdentity: (clientId) => {
        asked.push(clientId);
        return credential;
      },
      default: () => credential,
    };
    const clientId = '5b2c3d4e-0000-4000-8000-00000000abcd';

    const config = toMssqlConfig(database({ auth: { type: 'managed-identity', clientId } }), undefined, TIMEOUTS, credentials);

    expect(asked).toEqual([clientId]);
    expect(config.authentication).toEqual({ type: 'token-credential', options: { credential } });
  });

  it('maps "default" to token-credential authentication with DefaultAzureCredential', () => {
    const config = toMssqlConfig(database({ auth: { type: 'default' } }), undefined, TIMEOUTS);

    expect(config.authentication?.type).toBe('token-credential');
    expect((config.authentication?.options as { credential: TokenCredential }).credential).toBeInstanceOf(DefaultAzureCredential);
  });

  it.each([
    [{}, { encrypt: true, trustServerCertificate: false }],
    [{ encrypt: false }, { encrypt: false, trustServerCertificate: false }],
    [{ trustServerCertificate: true }, { encrypt: true, trustServerCertificate: true }],
  ])('maps the TLS settings %j to %j', (settings, expected) => {
    expect(toMssqlConfig(database(settings), 'pw', TIMEOUTS).options).toMatchObject(expected);
  });

  it('connects to a custom port when no named instance is given', () => {
    expect(toMssqlConfig(database({ port: 14330 }), 'pw', TIMEOUTS).port).toBe(14330);
  });

  it('reaches a named instance through SQL Browser rather than a port', () => {
    const config = toMssqlConfig(database({ instanceName: 'SQLEXPRESS' }), 'pw', TIMEOUTS);

    expect(config.options?.instanceName).toBe('SQLEXPRESS');
    expect(config.port).toBeUndefined();
  });

  it('applies the configured timeouts and bounds the wait for a pooled connection by them', () => {
    const config = toMssqlConfig(database(), 'pw', TIMEOUTS);

    expect(config).toMatchObject({ connectionTimeout: 5_000, requestTimeout: 7_000 });
    expect(config.pool).toMatchObject({ acquireTimeoutMillis: 12_000, createTimeoutMillis: 12_000 });
  });

  it('checks pooled connections at the socket, so a slow server does not cost a query per check', () => {
    expect(toMssqlConfig(database(), 'pw', TIMEOUTS).validateConnection).toBe('socket');
  });

  it('refuses SQL authentication without a resolved password, naming the login', () => {
    let thrown: unknown;
    try {
      toMssqlConfig(database(), undefined, TIMEOUTS);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toMatchObject({ code: 'SQL_PASSWORD_MISSING', message: 'no password was resolved for SQL login "watchdog"' });
  });
});

describe('describeDatabase', () => {
  it.each([
    [{}, 'sql01.corp.example:1433/adTempus'],
    [{ port: 14330 }, 'sql01.corp.example:14330/adTempus'],
    [{ instanceName: 'SQLEXPRESS' }, 'sql01.corp.example\\SQLEXPRESS/adTempus'],
  ])('names %j as %s', (overrides, expected) => {
    expect(describeDatabase(database(overrides))).toBe(expected);
  });
});
