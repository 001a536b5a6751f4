import type { ProcessErrorArgs, ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

/** What becomes of a message once its handler is done with it. */
export type Settlement =
  | { readonly kind: 'complete' }
  | { readonly kind: 'abandon' }
  | { readonly kind: 'dead-letter'; readonly reason: string; readonly description: string };

export type SettleAction = 'complete' | 'abandon' | 'dead-letter';

export interface SequentialReceiverOptions {
  readonly queueName: string;
  /** How long the SDK keeps renewing the lock of the message in hand. */
  readonly maxLockRenewalMs: number;
  /** How long stop() waits for the message in hand before closing anyway (it is then redelivered). */
  readonly stopGraceMs: number;
  /** Hand bodies over as received (the Functions host converts them itself). */
  readonly skipParsingBodyAsJson?: boolean;
  /**
   * Messages for which this holds (a read-only query) are handled at once, even while another
   * message is in hand; all others are handled one at a time, in the order they arrived. Without
   * it, every message waits for the one before.
   */
  readonly overtakes?: (message: ServiceBusReceivedMessage) => boolean;
  /** Decides the settlement; a throw abandons the message (it comes back with a higher delivery count). */
  readonly handle: (message: ServiceBusReceivedMessage) => Promise<Settlement>;
  readonly onHandlerFailed: (message: ServiceBusReceivedMessage, error: unknown) => void;
  /** The lock was lost or the link dropped: Service Bus hands the message out again when its lock expires. */
  readonly onSettleFailed: (message: ServiceBusReceivedMessage, action: SettleAction, error: unknown) => void;
  /** The SDK retries the link with backoff for as long as the receiver is open: errors are only reported. */
  readonly onError: (args: ProcessErrorArgs) => void;
}

/**
 * Messages taken at once when some may overtake: the one in hand, a few waiting their turn (their
 * locks renewed), and room for a status behind them.
 */
const OVERTAKING_SLOTS = 4;

/** Service Bus keeps these as application properties; long texts are cut, not refused. */
const MAX_DEAD_LETTER_REASON = 256;
const MAX_DEAD_LETTER_DESCRIPTION = 1024;

/**
 * A peekLock receive loop that handles one message at a time, in arrival order, and settles one
 * message at a time, each settlement awaited before the next starts: rhea 3.0.5 merges the
 * dispositions of adjacent deliveries settled in the same tick into one frame carrying the first
 * outcome (TEST-NOTES.md), which would complete a message meant to be abandoned or dead-lettered.
 * With `overtakes`, a few more messages are taken while one is in hand; one that may overtake is
 * handled at once (the agent answers `status` during an hour-long restore), the others wait their
 * turn, their locks renewed meanwhile. Used by the agent's command queue and by the local runner's queue
 * triggers.
 */
export class SequentialReceiver {
  private receiver: ServiceBusReceiver | undefined;
  private subscription: { close(): Promise<void> } | undefined;
  private readonly inHand = new Set<Promise<void>>();
  /** The ordinary messages' turn: each is handled and settled after the one before. */
  private lane: Promise<void> = Promise.resolve();
  /** Settlements, one at a time. */
  private settling: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly client: ServiceBusClient,
    private readonly options: SequentialReceiverOptions,
  ) {}

  get started(): boolean {
    return this.receiver !== undefined;
  }

  start(): void {
    if (this.receiver) throw new Error(`The receiver on ${this.options.queueName} is already started`);
    this.stopping = false;
    const receiver = this.client.createReceiver(this.options.queueName, {
      receiveMode: 'peekLock',
      maxAutoLockRenewalDurationInMs: this.options.maxLockRenewalMs,
      ...(this.options.skipParsingBodyAsJson ? { skipParsingBodyAsJson: true } : {}),
    });
    this.receiver = receiver;
    const overtakes = this.options.overtakes;
    this.subscription = receiver.subscribe(
      {
        processMessage: (message) => {
          // Queued in the order the SDK hands messages over, before anything is awaited.
          if (overtakes?.(message) === true) return this.track(this.process(receiver, message));
          const turn = this.lane.then(() => this.process(receiver, message));
          this.lane = turn;
          return this.track(turn);
        },
        processError: (args) => Promise.resolve(this.options.onError(args)),
      },
      { maxConcurrentCalls: overtakes ? OVERTAKING_SLOTS : 1, autoCompleteMessages: false },
    );
  }

  /** Stops taking messages, lets the one in hand finish (up to the grace period) and closes the link. */
  async stop(): Promise<boolean> {
    const receiver = this.receiver;
    if (!receiver) return false;
    this.stopping = true;
    await this.subscription?.close();
    if (this.inHand.size > 0) await waitAtMost(Promise.all(this.inHand).then(() => undefined), this.options.stopGraceMs);
    await receiver.close();
    this.receiver = undefined;
    this.subscription = undefined;
    return true;
  }

  private track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => this.inHand.delete(tracked));
    this.inHand.add(tracked);
    return tracked;
  }

  /** Never throws: the SDK would settle on its own, and a second settlement must not race ours. */
  private async process(receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage): Promise<void> {
    // Taken while stopping: hand it back at once rather than let its lock run out.
    let settlement: Settlement = { kind: 'abandon' };
    if (!this.stopping) {
      try {
        settlement = await this.options.handle(message);
      } catch (error) {
        this.options.onHandlerFailed(message, error);
      }
    }
    const settled = this.settling.then(() => this.settle(receiver, message, settlement));
    this.settling = settled;
    await settled;
  }

  /** Never throws. */
  private async settle(receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage, settlement: Settlement): Promise<void> {
    try {
      if (settlement.kind === 'complete') await receiver.completeMessage(message);
      else if (settlement.kind === 'abandon') await receiver.abandonMessage(message);
      else {
        await receiver.deadLetterMessage(message, {
          deadLetterReason: settlement.reason.slice(0, MAX_DEAD_LETTER_REASON),
          deadLetterErrorDescription: settlement.description.slice(0, MAX_DEAD_LETTER_DESCRIPTION),
        });
      }
    } catch (error) {
      this.options.onSettleFailed(message, settlement.kind, error);
    }
  }
}

async function waitAtMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
