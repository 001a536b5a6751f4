import { randomUUID } from 'node:crypto';
import { ServiceBusClient } from '@azure/service-bus';
import { ServiceBusCommandChannel } from '../../../../shared/adapters/servicebus/serviceBusCommandChannel';
import { COMMAND_CONTRACT_VERSION, commandQueueName, type CommandEnvelope } from '../../../../shared/contracts/agentCommands';
import type { Logger } from '../../../../shared/ports/logger.port';
import { AmqpBroker } from '../../../support/amqpBroker';

const NOW = new Date('2026-11-22T03:00:00.000Z');
const SAS_SIGNATURE = 'sig=Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1zaWduYXR1cmU%3D';
const SAS_URL = `https://backups.blob.core.windows.net/adtempus-backups/erp/x.bak?sv=2025-01-05&sr=b&sp=r&${SAS_SIGNATURE}`;

let broker: AmqpBroker;
let client: ServiceBusClient;
let channel: ServiceBusCommandChannel;
let logs: string[];

beforeAll(async () => {
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
});

beforeEach(() => {
  logs = [];
  const line = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => void logs.push(`${level}: ${message} ${JSON.stringify(fields ?? {})}`);
  const logger: Logger = { info: line('info'), warn: line('warn'), error: line('error') };
  channel = new ServiceBusCommandChannel(client, { logger, clock: () => NOW });
});

afterEach(async () => {
  await channel.close();
});

function envelope(overrides: Partial<CommandEnvelope> = {}): CommandEnvelope {
  return {
    contract: COMMAND_CONTRACT_VERSION,
    messageId: randomUUID(),
    pairId: 'erp',
    targetHost: 'ADT-SEC01',
    epoch: 5,
    issuedAt: NOW.toISOString(),
    notAfter: new Date(NOW.getTime() + 600_000).toISOString(),
    replyTo: 'watchdog-inbox',
    correlationId: 'failover-erp-7:restore',
    command: { type: 'restoreDatabase', sasUrl: SAS_URL, backupName: 'erp/x.bak', sha256: 'a'.repeat(64), sizeBytes: 1024, timeoutSeconds: 3_600 },
    ...overrides,
  };
}

const onQueue = (host: string) => broker.peekAll(commandQueueName(host)).filter((m) => m.state === 'available');

describe('ServiceBusCommandChannel', () => {
  it("puts a command on its host's queue with the envelope's ids, the command type as subject and a time-to-live ending at notAfter", async () => {
    const command = envelope();
    await channel.send(command);

    expect(onQueue('ADT-SEC01').filter((m) => m.messageId === command.messageId)).toMatchObject([
      {
        messageId: command.messageId,
        correlationId: 'failover-erp-7:restore',
        subject: 'restoreDatabase',
        replyTo: 'watchdog-inbox',
        contentType: 'application/json',
        timeToLiveMs: 600_000,
        body: command,
      },
    ]);
    expect(onQueue('ADT-PRI01').some((m) => m.messageId === command.messageId)).toBe(false);
  });

  it('lets the queue duplicate detection drop a resend of the same command', async () => {
    const command = envelope({ targetHost: 'ADT-PRI01', command: { type: 'stopService', timeoutSeconds: 120, killAfterTimeout: true } });
    const dropped = broker.counters(commandQueueName('ADT-PRI01')).duplicatesDropped;
    await channel.send(command);
    await channel.send(command);

    expect(onQueue('ADT-PRI01').filter((m) => m.messageId === command.messageId)).toHaveLength(1);
    expect(broker.counters(commandQueueName('ADT-PRI01')).duplicatesDropped).toBe(dropped + 1);
  });

  it('refuses an invalid envelope before sending anything, naming the problem but not the SAS URL', async () => {
    const before = broker.counters(commandQueueName('ADT-SEC01')).enqueued;
    const bad = envelope({ command: { type: 'restoreDatabase', sasUrl: SAS_URL, backupName: 'erp/x.bak', sha256: 'not-a-digest', sizeBytes: 1024, timeoutSeconds: 3_600 } });

    const error = await channel.send(bad).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string; meta: Record<string, unknown> },
    );

    expect(error).toMatchObject({ code: 'COMMAND_INVALID' });
    expect(error!.message).toContain('command.sha256');
    expect(JSON.stringify([error!.message, error!.meta])).not.toContain('sig=');
    expect(broker.counters(commandQueueName('ADT-SEC01')).enqueued).toBe(before);
  });

  it('refuses a command whose notAfter has passed, since the agent would refuse it anyway', async () => {
    const stale = envelope({ notAfter: new Date(NOW.getTime() - 1).toISOString(), command: { type: 'status' } });
    await expect(channel.send(stale)).rejects.toMatchObject({ code: 'COMMAND_EXPIRED' });
  });

  it('fails with the queue named when the host has no queue', async () => {
    const error = await channel.send(envelope({ targetHost: 'ADT-NEW01', command: { type: 'status' } })).catch((e: unknown) => e as Error & { code: string; meta: Record<string, unknown> });
    expect(error).toMatchObject({ code: 'COMMAND_SEND_FAILED', meta: { queue: 'agent-adt-new01', sdkCode: 'MessagingEntityNotFound' } });
  });

  it('never logs a command body', async () => {
    await channel.send(envelope());
    await channel.send(envelope({ command: { type: 'restoreDatabase', sasUrl: SAS_URL, backupName: 'x', sha256: 'bad', sizeBytes: 1, timeoutSeconds: 1 } })).catch(() => undefined);

    expect(logs).toContainEqual(expect.stringContaining('command sent'));
    expect(logs.join('\n')).not.toContain('sig=');
    expect(logs.join('\n')).not.toContain('blob.core.windows.net');
  });
});
