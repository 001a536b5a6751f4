import { generate_uuid, string_to_uuid, type AmqpError, type Delivery, type Sender } from 'rhea';
import type { Entity, Settlement } from './entity';
import { answerDrain, echoDrainsWithoutCredit, sendCapacityOf, settleOutgoing } from './rheaInternals';
import { encodeForClient } from './storedMessage';

export type ReceiveMode = 'peekLock' | 'receiveAndDelete';
export type OutcomeKind = 'accepted' | 'rejected' | 'modified' | 'released';

interface OutcomeState {
  undeliverable_here?: boolean;
  message_annotations?: Record<string, unknown>;
  error?: { condition?: string; description?: string; info?: Record<string, unknown> | null };
}

const DEFER_UNSUPPORTED: AmqpError = {
  condition: 'amqp:not-implemented',
  description: 'The test broker does not support deferring messages.',
};

/** The delivery tag whose bytes, reordered the .NET way, the SDK reads as the lock token. */
function deliveryTagFor(lockToken: string): Buffer {
  const b = Buffer.from(string_to_uuid(lockToken));
  return Buffer.concat([Buffer.from([b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!]), b.subarray(8)]);
}

function settlementFor(kind: Exclude<OutcomeKind, 'modified'> | 'abandon', state: OutcomeState | undefined): Settlement {
  switch (kind) {
    case 'accepted':
      return { kind: 'complete' };
    case 'released':
      return { kind: 'release' };
    case 'abandon':
      return state?.message_annotations ? { kind: 'abandon', properties: state.message_annotations } : { kind: 'abandon' };
    case 'rejected': {
      const { DeadLetterReason, DeadLetterErrorDescription, ...properties } = state?.error?.info ?? {};
      return {
        kind: 'deadLetter',
        reason: typeof DeadLetterReason === 'string' ? DeadLetterReason : state?.error?.condition,
        description: typeof DeadLetterErrorDescription === 'string' ? DeadLetterErrorDescription : state?.error?.description,
        properties,
      };
    }
  }
}

/** One client receiver link: feeds it messages within its credit and applies its dispositions. */
export class Consumer {
  private readonly lockTokens = new WeakMap<Delivery, string>();
  private readonly stopWaiting: () => void;
  private pumpPending = false;
  private drainRequested = false;
  private closed = false;

  constructor(
    private readonly link: Sender,
    private readonly entity: Entity,
    private readonly mode: ReceiveMode,
  ) {
    echoDrainsWithoutCredit(link);
    entity.counters.receiverLinksAttached++;
    this.stopWaiting = entity.onAvailable(() => this.pump());
  }

  requestDrain(): void {
    this.drainRequested = true;
    this.pump();
  }

  /**
   * Sends what the credit allows. rhea spends credit only when it writes the transfers (on the
   * next tick), so after sending the consumer waits a turn before it reads the credit again.
   * A link whose session buffer is full resumes on rhea's 'sendable' once deliveries settle.
   */
  pump(): void {
    if (this.closed || this.pumpPending || !this.link.is_open()) return;
    let sent = 0;
    while (sendCapacityOf(this.link) - sent > 0) {
      const next = this.entity.take(this.mode);
      if (!next) break;
      const tag = deliveryTagFor(next.lock?.token ?? generate_uuid());
      const delivery = this.link.send(encodeForClient(next.stored, next.lock?.lockedUntil), tag, 0);
      if (next.lock) this.lockTokens.set(delivery, next.lock.token);
      sent++;
    }
    if (sent > 0) {
      this.pumpPending = true;
      setImmediate(() => {
        this.pumpPending = false;
        this.pump();
      });
      return;
    }
    if (this.drainRequested) {
      this.drainRequested = false;
      this.entity.counters.drainsAnswered++;
      answerDrain(this.link);
    }
  }

  onOutcome(kind: OutcomeKind, delivery: Delivery): void {
    const token = this.lockTokens.get(delivery);
    if (token === undefined) return;
    const state = delivery.remote_state as OutcomeState | undefined;
    if (kind === 'modified' && state?.undeliverable_here) {
      settleOutgoing(delivery, DEFER_UNSUPPORTED);
      return;
    }
    this.lockTokens.delete(delivery);
    const error = this.entity.settle(token, settlementFor(kind === 'modified' ? 'abandon' : kind, state));
    if (!error) {
      settleOutgoing(delivery);
      return;
    }
    // rhea merges adjacent dispositions written in one pass under the first one's outcome (the
    // client-side bug the tests document); a failure settled a turn later keeps its own frame.
    setImmediate(() => settleOutgoing(delivery, error));
  }

  close(): void {
    this.closed = true;
    this.stopWaiting();
  }
}
