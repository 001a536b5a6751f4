import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { ServiceBusClient, type ServiceBusClientOptions, type ServiceBusSender } from '@azure/service-bus';
import type { ServiceBusConfig } from '../../config/loadConfig';
import { MAX_MESSAGE_BYTES, commandEnvelopeSchema, commandQueueName, type CommandEnvelope } from '../../contracts/agentCommands';
import { WatchdogError } from '../../domain/errors';
import type { CommandChannel } from '../../ports/commandChannel.port';
import type { Logger } from '../../ports/logger.port';

export interface ServiceBusCommandChannelOptions {
  readonly logger: Logger;
  /** The watchdog's clock: a command's time-to-live runs until its notAfter. */
  readonly clock?: () => Date;
}

/**
 * Sends each command to its host's queue (`agent-<host>`). The envelope's messageId is the
 * Service Bus messageId, so the queue's duplicate detection drops a resend of the same command;
 * its time-to-live ends at notAfter, so a command the agent would refuse as expired never
 * reaches it. Bodies are never logged: a restore command carries a SAS URL.
 */
export class ServiceBusCommandChannel implements CommandChannel {
  private readonly senders = new Map<string, ServiceBusSender>();
  private readonly clock: () => Date;

  constructor(
    private readonly client: ServiceBusClient,
    private readonly options: ServiceBusCommandChannelOptions,
    /** Closed with the channel when the channel created it. */
    private readonly ownsClient = false,
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  async send(envelope: CommandEnvelope): Promise<void> {
    const parsed = commandEnvelopeSchema.safeParse(envelope);
    if (!parsed.success) {
      // Paths and zod's messages only: an issue's input could be the SAS URL.
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(envelope)'}: ${i.message}`);
      throw new WatchdogError('COMMAND_INVALID', `Refused to send an invalid command envelope: ${problems.join('; ')}`, safeMeta(envelope));
    }
    const command = parsed.data;
    const timeToLive = Date.parse(command.notAfter) - this.clock().getTime();
    if (timeToLive <= 0) {
      throw new WatchdogError('COMMAND_EXPIRED', `Refused to send command ${command.messageId}: it expired at ${command.notAfter}`, safeMeta(command));
    }
    const bytes = Buffer.byteLength(JSON.stringify(command));
    if (bytes > MAX_MESSAGE_BYTES) {
      throw new WatchdogError('COMMAND_TOO_LARGE', `Command ${command.messageId} is ${bytes} bytes; the limit is ${MAX_MESSAGE_BYTES}`, safeMeta(command));
    }
    const queue = commandQueueName(command.targetHost);
    try {
      await this.senderFor(queue).sendMessages({
        body: command,
        contentType: 'application/json',
        messageId: command.messageId,
        correlationId: command.correlationId,
        subject: command.command.type,
        replyTo: command.replyTo,
        timeToLive,
      });
    } catch (error) {
      throw new WatchdogError('COMMAND_SEND_FAILED', `Sending command ${command.messageId} to queue ${queue} failed`, { ...safeMeta(command), queue, ...codeOf(error) }, { cause: error });
    }
    this.options.logger.info('command sent', { ...safeMeta(command), queue, timeToLiveMs: timeToLive });
  }

  async close(): Promise<void> {
    const senders = [...this.senders.values()];
    this.senders.clear();
    await Promise.allSettled(senders.map((s) => s.close()));
    if (this.ownsClient) await this.client.close();
  }

  private senderFor(queue: string): ServiceBusSender {
    let sender = this.senders.get(queue);
    if (!sender) {
      sender = this.client.createSender(queue);
      this.senders.set(queue, sender);
    }
    return sender;
  }
}

/**
 * A watchdog-side client: a connection string, or the namespace with the app's managed identity
 * (user-assigned when clientId is set), as the Functions host reads the same settings.
 */
export function createServiceBusClient(config: ServiceBusConfig, options: ServiceBusClientOptions = {}, credential?: TokenCredential): ServiceBusClient {
  if (config.kind === 'connectionString') {
    try {
      return new ServiceBusClient(config.connectionString, options);
    } catch (error) {
      // The SDK's message may quote the string it could not parse: keep neither it nor the error.
      throw new WatchdogError('SERVICE_BUS_CONFIG_INVALID', 'The Service Bus connection string (ServiceBusConnection) cannot be used', codeOf(error));
    }
  }
  const identity = credential ?? (config.clientId !== undefined ? new ManagedIdentityCredential({ clientId: config.clientId }) : new DefaultAzureCredential());
  return new ServiceBusClient(config.fullyQualifiedNamespace, identity, options);
}

export function createCommandChannel(config: ServiceBusConfig, options: ServiceBusCommandChannelOptions): CommandChannel {
  return new ServiceBusCommandChannel(createServiceBusClient(config), options, true);
}

/** Identifying fields that are safe to log; never the command's parameters. */
function safeMeta(envelope: unknown): Record<string, string | number> {
  const e = (typeof envelope === 'object' && envelope !== null ? envelope : {}) as Record<string, unknown>;
  const command = (typeof e.command === 'object' && e.command !== null ? e.command : {}) as Record<string, unknown>;
  const meta: Record<string, string | number> = {};
  for (const key of ['messageId', 'pairId', 'targetHost', 'correlationId'] as const) {
    if (typeof e[key] === 'string') meta[key] = e[key].slice(0, 128);
  }
  if (typeof e.epoch === 'number') meta.epoch = e.epoch;
  if (typeof command.type === 'string') meta.commandType = command.type.slice(0, 64);
  return meta;
}

function codeOf(error: unknown): Record<string, string> {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { sdkCode: code } : {};
}
