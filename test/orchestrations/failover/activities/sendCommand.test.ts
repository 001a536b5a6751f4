import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ServiceBusClient } from '@azure/service-bus';
import type { BlobServiceClient } from '@azure/storage-blob';
import { createSendCommandActivity, RESTORE_URL_MARGIN_SECONDS } from '../../../../orchestrations/failover/activities/sendCommand';
import { BlobBackupCatalog } from '../../../../shared/adapters/blob/blobBackupCatalog';
import { createBlobServiceClient } from '../../../../shared/adapters/blob/blobServiceClient';
import { ServiceBusCommandChannel } from '../../../../shared/adapters/servicebus/serviceBusCommandChannel';
import { commandEnvelopeSchema, commandQueueName, type CommandEnvelope } from '../../../../shared/contracts/agentCommands';
import type { SendCommandInput } from '../../../../shared/contracts/failoverContract';
import { backupBlobName } from '../../../../shared/domain/backupContract';
import type { Logger } from '../../../../shared/ports/logger.port';
import { AmqpBroker } from '../../../support/amqpBroker';
import { testStorage, type TestStorage } from '../../../support/azurite';
import { resolvedPair } from '../../../support/pairs';

// The real Service Bus SDK against the AMQP test broker, real SAS URLs against Azurite.

const CONTAINER = `backups-${randomUUID()}`;
const BACKUP = randomBytes(64 * 1024);
const BACKUP_SHA256 = createHash('sha256').update(BACKUP).digest('hex');
const BACKUP_NAME = backupBlobName('erp/', new Date('2026-11-22T02:00:00Z'), 'ADT-PRI01');
const OTHER_NAME = backupBlobName('erp/', new Date('2026-11-21T02:00:00Z'), 'ADT-PRI01');
const PAIR = resolvedPair({ backup: { container: CONTAINER, prefix: 'erp/' } });
const QUALIFIED = resolvedPair({ id: 'fqdn', primary: { ...resolvedPair().primary, hostName: 'adt-pri01.corp.example' }, backup: { container: CONTAINER, prefix: 'erp/' } });
const LOST = resolvedPair({ id: 'lost', secondary: { ...resolvedPair().secondary, hostName: 'ADT-NOQUEUE' }, backup: { container: CONTAINER, prefix: 'erp/' } });

let storage: TestStorage;
let blob: BlobServiceClient;
let broker: AmqpBroker;
let client: ServiceBusClient;
let channel: ServiceBusCommandChannel;
let logs: string[];
let activity: ReturnType<typeof createSendCommandActivity>;

beforeAll(async () => {
  storage = await testStorage();
  blob = createBlobServiceClient({ kind: 'connectionString', connectionString: storage.connectionString });
  const container = blob.getContainerClient(CONTAINER);
  await container.create();
  await container.getBlockBlobClient(BACKUP_NAME).upload(BACKUP, BACKUP.length);
  await container.getBlockBlobClient(OTHER_NAME).upload(BACKUP, BACKUP.length);
  broker = await AmqpBroker.start({
    queues: [
      { name: commandQueueName('ADT-PRI01'), duplicateDetectionWindowMs: 600_000 },
      { name: commandQueueName('ADT-SEC01'), duplicateDetectionWindowMs: 600_000 },
    ],
  });
  client = new ServiceBusClient(broker.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } });
});

afterAll(async () => {
  await client.close();
  await broker.stop();
  await storage.release();
});

beforeEach(() => {
  logs = [];
  const line = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => void logs.push(`${level}: ${message} ${JSON.stringify(fields ?? {})}`);
  const logger: Logger = { info: line('info'), warn: line('warn'), error: line('error') };
  channel = new ServiceBusCommandChannel(client, { logger });
  activity = createSendCommandActivity({ pairs: [PAIR, QUALIFIED, LOST], backups: new BlobBackupCatalog(blob), commands: () => channel, inboxQueue: 'watchdog-inbox-test', logger });
});

afterEach(async () => {
  await channel.close();
});

function input(overrides: Partial<SendCommandInput> = {}): SendCommandInput {
  const issuedAt = new Date();
  return {
    pairId: 'erp',
    role: 'primary',
    messageId: randomUUID(),
    correlationId: `failover-erp/${randomUUID().slice(0, 8)}`,
    epoch: 5,
    issuedAt: issuedAt.toISOString(),
    notAfter: new Date(issuedAt.getTime() + 30_000).toISOString(),
    command: { type: 'stopService', timeoutSeconds: 120, killAfterTimeout: true },
    ...overrides,
  };
}

const restoreSpec = { type: 'restoreDatabase', backupName: BACKUP_NAME, sha256: BACKUP_SHA256, sizeBytes: BACKUP.length, timeoutSeconds: 7200 } as const;

/** Takes messages off a host's queue with the real receiver until the one with `messageId` comes. */
async function receive(host: string, messageId: string): Promise<CommandEnvelope> {
  const receiver = client.createReceiver(commandQueueName(host), { receiveMode: 'receiveAndDelete' });
  try {
    for (let round = 0; round < 5; round++) {
      for (const message of await receiver.receiveMessages(1, { maxWaitTimeInMs: 5_000 })) {
        if (message.messageId === messageId) return commandEnvelopeSchema.parse(message.body);
      }
    }
    throw new Error(`message ${messageId} never arrived on the queue of ${host}`);
  } finally {
    await receiver.close();
  }
}

async function caught(promise: Promise<unknown>): Promise<Error & { code?: string; meta?: Record<string, unknown> }> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error & { code?: string },
  );
}

/** Azurite's answer: status and storage error code. */
async function refusal(url: string | URL, init?: RequestInit): Promise<string> {
  const response = await fetch(url, init);
  return `${response.status} ${response.headers.get('x-ms-error-code') ?? ''}`.trim();
}


describe('the sendCommand activity', () => {
  it("puts the command on the role's host queue in a contract envelope with the input's ids, the epoch and the inbox as replyTo", async () => {
    const sent = input();

    expect(await activity(sent)).toEqual({ sent: true });

    expect(await receive('ADT-PRI01', sent.messageId)).toEqual({
      contract: 1,
      messageId: sent.messageId,
      pairId: 'erp',
      targetHost: 'ADT-PRI01',
      epoch: 5,
      issuedAt: sent.issuedAt,
      notAfter: sent.notAfter,
      replyTo: 'watchdog-inbox-test',
      correlationId: sent.correlationId,
      command: { type: 'stopService', timeoutSeconds: 120, killAfterTimeout: true },
    });
  });

  it('addresses the Secondary when the role says so', async () => {
    const sent = input({ role: 'secondary', command: { type: 'startService', parameters: ['-takedbcontrol'], timeoutSeconds: 180 } });
    await activity(sent);

    expect(await receive('ADT-SEC01', sent.messageId)).toMatchObject({ targetHost: 'ADT-SEC01', command: { type: 'startService', parameters: ['-takedbcontrol'] } });
  });

  it('addresses the agent by its computer name when the pair names the host with its DNS suffix', async () => {
    const sent = input({ pairId: 'fqdn', command: { type: 'status' } });
    await activity(sent);

    expect(await receive('ADT-PRI01', sent.messageId)).toMatchObject({ pairId: 'fqdn', targetHost: 'adt-pri01' });
  });

  it('is harmless when sent twice: the same messageId leaves one command on the queue', async () => {
    const sent = input({ command: { type: 'status' } });
    const dropped = broker.counters(commandQueueName('ADT-PRI01')).duplicatesDropped;

    await activity(sent);
    await activity(sent);

    expect(broker.peekAll(commandQueueName('ADT-PRI01')).filter((m) => m.messageId === sent.messageId)).toHaveLength(1);
    expect(broker.counters(commandQueueName('ADT-PRI01')).duplicatesDropped).toBe(dropped + 1);
    await receive('ADT-PRI01', sent.messageId);
  });

  describe('with a restore', () => {
    it('gives the Secondary a URL that downloads exactly the named backup', async () => {
      const sent = input({ role: 'secondary', command: restoreSpec });
      await activity(sent);

      const envelope = await receive('ADT-SEC01', sent.messageId);
      expect(envelope.command).toMatchObject({ type: 'restoreDatabase', backupName: BACKUP_NAME, sha256: BACKUP_SHA256, sizeBytes: BACKUP.length, timeoutSeconds: 7200 });
      const sasUrl = (envelope.command as { sasUrl: string }).sasUrl;
      const response = await fetch(sasUrl);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(BACKUP)).toBe(true);
    });

    it('makes the URL read-only, for that one blob, expiring a small margin after the command', async () => {
      const sent = input({ role: 'secondary', command: restoreSpec });
      await activity(sent);
      const sasUrl = ((await receive('ADT-SEC01', sent.messageId)).command as { sasUrl: string }).sasUrl;
      const url = new URL(sasUrl);

      expect({ permissions: url.searchParams.get('sp'), resource: url.searchParams.get('sr') }).toEqual({ permissions: 'r', resource: 'b' });
      expect(Date.parse(url.searchParams.get('se')!)).toBe(Math.floor((Date.parse(sent.notAfter) + RESTORE_URL_MARGIN_SECONDS * 1000) / 1000) * 1000);
      expect(await refusal(sasUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'overwritten' })).toBe('403 AuthorizationPermissionMismatch');
      expect(await refusal(sasUrl, { method: 'DELETE' })).toBe('403 AuthorizationPermissionMismatch');
      const sibling = new URL(sasUrl);
      sibling.pathname = sibling.pathname.replace(encodeURIComponent(BACKUP_NAME).replace(/%2F/g, '/'), OTHER_NAME);
      expect(sibling.pathname).not.toBe(url.pathname);
      expect(await refusal(sibling)).toMatch(/^403 /);
      expect(Buffer.from(await (await fetch(sasUrl)).arrayBuffer()).equals(BACKUP)).toBe(true);
    });

    it('never writes the URL to a log line or its answer', async () => {
      const sent = input({ role: 'secondary', command: restoreSpec });
      const answer = await activity(sent);
      const sasUrl = ((await receive('ADT-SEC01', sent.messageId)).command as { sasUrl: string }).sasUrl;

      expect(logs).toContainEqual(expect.stringContaining('failover command sent'));
      expect(new URL(sasUrl).searchParams.get('sig')).toBeTruthy();
      expect(JSON.stringify([logs, answer])).not.toMatch(/sig=|[?&]sv=/);
    });

    it('fails without the URL in the error when the command cannot be sent', async () => {
      const error = await caught(activity(input({ pairId: 'lost', role: 'secondary', command: restoreSpec })));

      expect(error).toMatchObject({ code: 'COMMAND_SEND_FAILED' });
      expect(JSON.stringify([error.message, error.meta, error.stack, logs])).not.toMatch(/sig=|[?&]sv=/);
    });

    it("refuses a backup outside the pair's prefix without sending anything", async () => {
      const before = broker.counters(commandQueueName('ADT-SEC01')).enqueued;

      const error = await caught(activity(input({ role: 'secondary', command: { ...restoreSpec, backupName: 'hr/2026.bak' } })));

      expect(error).toMatchObject({ code: 'ACTIVITY_INPUT_INVALID' });
      expect(error.message).toContain('command.backupName');
      expect(broker.counters(commandQueueName('ADT-SEC01')).enqueued).toBe(before);
    });

    it('refuses a restore spec that brings a URL of its own (one must never pass through the history)', async () => {
      const smuggled = { ...restoreSpec, sasUrl: 'https://evil.example/x.bak?sig=c21hZ2dsZWQ' } as unknown as SendCommandInput['command'];

      const error = await caught(activity(input({ role: 'secondary', command: smuggled })));

      expect(error).toMatchObject({ code: 'ACTIVITY_INPUT_INVALID' });
      expect(error.message).toContain('command');
      expect(error.message).not.toContain('c21hZ2dsZWQ');
    });
  });

  describe('read-only URLs from the catalog', () => {
    it('are refused once expired', async () => {
      const catalog = new BlobBackupCatalog(blob);
      const live = await catalog.readOnlyUrl(CONTAINER, BACKUP_NAME, new Date(Date.now() + 60_000));
      const expired = await catalog.readOnlyUrl(CONTAINER, BACKUP_NAME, new Date(Date.now() - 60_000));

      expect(await refusal(live)).toBe('200');
      expect(await refusal(expired)).toBe('403 AuthorizationFailure');
    });

    it('are not made for longer than a user delegation key could live', async () => {
      const catalog = new BlobBackupCatalog(blob, { clock: () => new Date('2026-11-22T03:00:00Z') });

      await expect(catalog.readOnlyUrl(CONTAINER, BACKUP_NAME, new Date('2026-12-01T03:00:00Z'))).rejects.toMatchObject({ code: 'SAS_LIFETIME_INVALID' });
    });

    // The delegation key itself cannot be had here: Azurite hands one out only over HTTPS with
    // --oauth basic. This shows the branch a managed identity takes, up to the key request.
    it('with a token credential (managed identity) ask for a user delegation key, which needs HTTPS', async () => {
      const endpoint = /BlobEndpoint=([^;]+)/.exec(storage.connectionString)![1]!;
      const credential = { getToken: async () => ({ token: 'not-a-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
      const identity = createBlobServiceClient({ kind: 'identity', blobServiceUri: endpoint }, { credential });

      const error = await caught(new BlobBackupCatalog(identity).readOnlyUrl(CONTAINER, BACKUP_NAME, new Date(Date.now() + 60_000)));

      expect(error).toMatchObject({ code: 'SAS_FAILED', meta: { container: CONTAINER, name: BACKUP_NAME } });
      expect(String((error.cause as Error).message)).toMatch(/Bearer token authentication is not permitted for non-TLS/);
    });

    it('cannot be signed by a client without an account key or a token credential', async () => {
      const url = await new BlobBackupCatalog(blob).readOnlyUrl(CONTAINER, BACKUP_NAME, new Date(Date.now() + 60_000));
      const endpoint = /BlobEndpoint=([^;]+)/.exec(storage.connectionString)![1]!;
      const anonymous = createBlobServiceClient({ kind: 'connectionString', connectionString: `BlobEndpoint=${endpoint};SharedAccessSignature=${new URL(url).search.slice(1)}` });

      await expect(new BlobBackupCatalog(anonymous).readOnlyUrl(CONTAINER, BACKUP_NAME, new Date(Date.now() + 60_000))).rejects.toMatchObject({ code: 'SAS_UNSUPPORTED' });
    });
  });

  it.each([
    ['a messageId that is not a UUID', { messageId: 'cmd-1' }, 'messageId'],
    ['a role that is neither side', { role: 'tertiary' }, 'role'],
    ['a command the agents do not know', { command: { type: 'reboot' } }, 'command'],
  ])('refuses %s with ACTIVITY_INPUT_INVALID or COMMAND_INVALID, naming it', async (_case, override, path) => {
    const error = await caught(activity({ ...input(), ...(override as Partial<SendCommandInput>) }));

    expect(['ACTIVITY_INPUT_INVALID', 'COMMAND_INVALID']).toContain(error.code);
    expect(error.message).toContain(path);
  });

  it('refuses a pair that is not configured', async () => {
    await expect(activity(input({ pairId: 'nope' }))).rejects.toMatchObject({ code: 'UNKNOWN_PAIR' });
  });
});
