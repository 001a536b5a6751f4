import { createAgentServiceBusClient, describeTransportError } from '../../../agent/transport/serviceBusClient';

const KEY = 'c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=';

describe('createAgentServiceBusClient', () => {
  it.each([
    ['a user-assigned managed identity', { clientId: '7f3c1e2a-0000-4000-8000-000000000001' }],
    ['the system-assigned managed identity', { credential: 'managedIdentity' as const }],
    ['DefaultAzureCredential', {}],
  ])('builds a client for a namespace with %s, without connecting', async (_case, identity) => {
    const client = createAgentServiceBusClient({ kind: 'identity', fullyQualifiedNamespace: 'adt-watchdog.servicebus.windows.net', ...identity });
    expect(client.fullyQualifiedNamespace).toBe('adt-watchdog.servicebus.windows.net');
    await client.close();
  });

  it('refuses an empty namespace', () => {
    expect(() => createAgentServiceBusClient({ kind: 'identity', fullyQualifiedNamespace: ' ' })).toThrow(/namespace is empty/);
  });

  it('refuses an unusable connection string without repeating it', () => {
    let message = '';
    try {
      createAgentServiceBusClient({ kind: 'connectionString', connectionString: `SharedAccessKey=${KEY}` });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/connection string cannot be used/);
    expect(message).not.toContain(KEY);
  });
});

describe('describeTransportError', () => {
  it('keeps the code and message but not a SAS token or key', () => {
    const error = Object.assign(new Error(`GET https://acct.blob.core.windows.net/b/x.bak?sv=2024&sig=abc123 failed; SharedAccessKey=${KEY}`), { code: 'ServiceUnavailable' });
    const fields = describeTransportError(error);
    expect(fields.code).toBe('ServiceUnavailable');
    expect(fields.error).toContain('https://acct.blob.core.windows.net/b/x.bak?<redacted>');
    expect(JSON.stringify(fields)).not.toMatch(/sig=|abc123/);
    expect(JSON.stringify(fields)).not.toContain(KEY);
  });
});
