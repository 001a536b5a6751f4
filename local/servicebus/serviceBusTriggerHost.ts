import type { ProcessErrorArgs, ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
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

/** One queue trigger's receive loop. */
class QueueTrigger {
  private receiver: ServiceBusReceiver | undefined;
  private subscription: { close(): Promise<void> } | undefined;
  private inHand: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly client: ServiceBusClient,
    private readonly registration: FunctionRegistration,
    private readonly queueName: string,
    private readonly log: (line: string) => void,
    private readonly options: Pick<ServiceBusTriggerHostOptions, 'maxLockRenewalMs' | 'stopGraceMs'>,
  ) {}

  start(): void {
    const receiver = this.client.createReceiver(this.queueName, {
      receiveMode: 'peekLock',
      skipParsingBodyAsJson: true,
      maxAutoLockRenewalDurationInMs: this.options.maxLockRenewalMs ?? DEFAULT_LOCK_RENEWAL_MS,
    });
    this.receiver = receiver;
    this.subscription = receiver.subscribe(
      {
        processMessage: (message) => this.track(this.process(receiver, message)),
        processError: (args) => Promise.resolve(this.onError(args)),
      },
      { maxConcurrentCalls: 1, autoCompleteMessages: false },
    );
  }

  /** Stops taking messages, lets the one in hand finish (up to the grace period) and closes the link. */
  async stop(): Promise<void> {
    const receiver = this.receiver;
    if (!receiver) return;
    this.stopping = true;
    await this.subscription?.close();
    if (this.inHand) await waitAtMost(this.inHand, this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    await receiver.close();
    this.receiver = undefined;
  }

  private track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => {
      if (this.inHand === tracked) this.inHand = undefined;
    });
    this.inHand = tracked;
    return tracked;
  }

  /** Never throws: the SDK would settle on its own, and a second settlement must not race ours. */
  private async process(receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage): Promise<void> {
    if (this.stopping) {
      // Taken while stopping: hand it back at once rather than let its lock run out.
      await this.settle(message, 'abandon', () => receiver.abandonMessage(message));
      return;
    }
    const { body, triggerMetadata } = toTriggerInput(message);
    const context = invocationContextFor(this.registration, this.log, triggerMetadata);
    try {
      await this.registration.handler(body, context);
    } catch (error) {
      this.log(`[${this.registration.name}] failed (invocation ${context.invocationId}, message ${String(triggerMetadata.messageId)}, delivery ${String(triggerMetadata.deliveryCount)}); abandoning it for redelivery: ${describe(error)}`);
      await this.settle(message, 'abandon', () => receiver.abandonMessage(message));
      return;
    }
    await this.settle(message, 'complete', () => receiver.completeMessage(message));
  }

  private async settle(message: ServiceBusReceivedMessage, action: string, settle: () => Promise<void>): Promise<void> {
    try {
      await settle();
    } catch (error) {
      // Lock lost or link dropped: Service Bus hands the message out again when its lock expires.
      this.log(`[${this.registration.name}] could not ${action} message ${String(message.messageId)} on ${this.queueName}; it will be redelivered: ${describe(error)}`);
    }
  }

  private onError(args: ProcessErrorArgs): void {
    // The SDK keeps retrying the link with backoff for as long as the receiver is open.
    this.log(`[${this.registration.name}] Service Bus receiver error on ${this.queueName} (${args.errorSource}): ${describe(args.error)}`);
  }
}

async function waitAtMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
