import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';
import { SequentialReceiver, type Settlement } from '../../shared/adapters/servicebus/sequentialReceiver';
import { createServiceBusClient } from '../../shared/adapters/servicebus/serviceBusCommandChannel';
import type { FunctionRegistration } from '../functionsCore';
import { invocationContextFor } from '../invocationContextFor';
import { resolveSetting } from '../timerScheduler';
import { DEFAULT_SERVICE_BUS_CONNECTION, serviceBusConnectionOf } from './serviceBusConnectionOf';
import { toTriggerInput } from './toTriggerInput';

export interface ServiceBusTriggerHostOptions {
  readonly registrations: Iterable<FunctionRegistration>;
  /** App settings: `%NAME%` queue names and the connection settings resolve against them. */
  readonly settings: Readonly<Record<string, string | undefined>>;
  readonly log?: (line: string) => void;
  /** How long the SDK keeps renewing the lock of the message in hand; the host's default is 5 minutes. */
  readonly maxLockRenewalMs?: number;
  /** How long close() waits for the message in hand before closing anyway (it is then redelivered). Default 30 s. */
  readonly stopGraceMs?: number;
}

export interface ServiceBusTriggerHost {
  readonly listening: readonly { readonly functionName: string; readonly queueName: string }[];
  /** Triggers whose connection has no setting: they are not started, as there is nothing to listen to. */
  readonly skipped: readonly { readonly functionName: string; readonly reason: string }[];
  close(): Promise<void>;
}

const DEFAULT_LOCK_RENEWAL_MS = 5 * 60_000;
const DEFAULT_STOP_GRACE_MS = 30_000;

/**
 * Runs the app's Service Bus queue triggers with the real receiver in peekLock mode, as the host's
 * Service Bus extension does: each message goes to the handler with the host's body conversion
 * and trigger metadata, and is completed when the handler returns or abandoned when it throws
 * (so it comes back with a higher delivery count, and is dead-lettered by Service Bus after
 * maxDeliveryCount). One message at a time per queue, each settlement awaited before the next
 * message is taken: rhea 3.0.5 merges the dispositions of adjacent deliveries settled in the same
 * tick into one frame carrying the first outcome (TEST-NOTES.md), which would complete a message
 * meant to be abandoned.
 */
export function startServiceBusTriggerHost(options: ServiceBusTriggerHostOptions): ServiceBusTriggerHost {
  const log = options.log ?? (() => undefined);
  const clients = new Map<string, ServiceBusClient>();
  const queues: QueueTrigger[] = [];
  const listening: { functionName: string; queueName: string }[] = [];
  const skipped: { functionName: string; reason: string }[] = [];
  try {
    for (const registration of options.registrations) {
      const trigger = Object.values(registration.metadata.bindings).find((b) => b.type === 'serviceBusTrigger');
      if (!trigger) continue;
      if (typeof trigger['queueName'] !== 'string') {
        skipped.push({ functionName: registration.name, reason: 'only queue triggers run locally (topic subscriptions do not)' });
        continue;
      }
      const connection = typeof trigger['connection'] === 'string' && trigger['connection'] !== '' ? trigger['connection'] : DEFAULT_SERVICE_BUS_CONNECTION;
      const config = serviceBusConnectionOf(connection, options.settings);
      if (!config) {
        skipped.push({ functionName: registration.name, reason: `no ${connection} (or ${connection}__fullyQualifiedNamespace) setting` });
        continue;
      }
      const queueName = resolveSetting(trigger['queueName'], options.settings);
      let client = clients.get(connection);
      if (!client) {
        client = createServiceBusClient(config);
        clients.set(connection, client);
      }
      queues.push(new QueueTrigger(client, registration, queueName, log, options));
      listening.push({ functionName: registration.name, queueName });
    }
  } catch (error) {
    void Promise.allSettled([...clients.values()].map((c) => c.close()));
    throw error;
  }
  for (const queue of queues) queue.start();
  return {
    listening,
    skipped,
    close: async () => {
      await Promise.allSettled(queues.map((q) => q.stop()));
      await Promise.allSettled([...clients.values()].map((c) => c.close()));
    },
  };
}

/** One queue trigger: the handler's outcome decides the settlement (see SequentialReceiver). */
class QueueTrigger {
  private readonly loop: SequentialReceiver;

  constructor(
    client: ServiceBusClient,
    private readonly registration: FunctionRegistration,
    queueName: string,
    private readonly log: (line: string) => void,
    options: Pick<ServiceBusTriggerHostOptions, 'maxLockRenewalMs' | 'stopGraceMs'>,
  ) {
    const name = registration.name;
    this.loop = new SequentialReceiver(client, {
      queueName,
      maxLockRenewalMs: options.maxLockRenewalMs ?? DEFAULT_LOCK_RENEWAL_MS,
      stopGraceMs: options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
      skipParsingBodyAsJson: true,
      handle: (message) => this.invoke(message),
      onHandlerFailed: (message, error) => {
        const { triggerMetadata } = toTriggerInput(message);
        log(`[${name}] failed (message ${String(triggerMetadata.messageId)}, delivery ${String(triggerMetadata.deliveryCount)}); abandoning it for redelivery: ${describe(error)}`);
      },
      onSettleFailed: (message, action, error) => log(`[${name}] could not ${action} message ${String(message.messageId)} on ${queueName}; it will be redelivered: ${describe(error)}`),
      onError: (args) => log(`[${name}] Service Bus receiver error on ${queueName} (${args.errorSource}): ${describe(args.error)}`),
    });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private async invoke(message: ServiceBusReceivedMessage): Promise<Settlement> {
    const { body, triggerMetadata } = toTriggerInput(message);
    const context = invocationContextFor(this.registration, this.log, triggerMetadata);
    await this.registration.handler(body, context);
    return { kind: 'complete' };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
