import { generate_uuid, type AmqpError, type Message } from 'rhea';
import {
  annotationsOf,
  ensureMessageId,
  withAnnotations,
  withApplicationProperties,
  type StoredMessage,
} from './storedMessage';

export interface EntitySettings {
  maxDeliveryCount: number;
  lockDurationMs: number;
  duplicateDetectionWindowMs?: number;
}

export interface EntityCounters {
  enqueued: number;
  duplicatesDropped: number;
  scheduled: number;
  delivered: number;
  completed: number;
  abandoned: number;
  deadLettered: number;
  expired: number;
  lockExpirations: number;
  lockRenewals: number;
  drainsAnswered: number;
  receiverLinksAttached: number;
}

export function zeroCounters(): EntityCounters {
  return {
    enqueued: 0,
    duplicatesDropped: 0,
    scheduled: 0,
    delivered: 0,
    completed: 0,
    abandoned: 0,
    deadLettered: 0,
    expired: 0,
    lockExpirations: 0,
    lockRenewals: 0,
    drainsAnswered: 0,
    receiverLinksAttached: 0,
  };
}

export type Settlement =
  | { kind: 'complete' }
  | { kind: 'abandon'; properties?: Record<string, unknown> }
  | { kind: 'release' }
  | { kind: 'deadLetter'; reason?: string; description?: string; properties?: Record<string, unknown> };

export interface Lock {
  readonly token: string;
  readonly message: StoredMessage;
  lockedUntil: Date;
  timer: NodeJS.Timeout;
}

export const LOCK_LOST: AmqpError = {
  condition: 'com.microsoft:message-lock-lost',
  description:
    'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
};

function messageIdKey(id: unknown): string {
  return Buffer.isBuffer(id) ? `b:${id.toString('hex')}` : `${typeof id}:${String(id)}`;
}

/** A queue or a dead-letter queue: its messages, their locks, and the consumers waiting for them. */
export class Entity {
  readonly counters = zeroCounters();
  private readonly messages = new Map<number, StoredMessage>();
  private available: StoredMessage[] = [];
  private readonly locks = new Map<string, Lock>();
  private readonly scheduleTimers = new Map<number, NodeJS.Timeout>();
  private readonly seenMessageIds = new Map<string, number>();
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly path: string,
    private readonly settings: EntitySettings,
    private readonly nextSequenceNumber: () => number,
    readonly deadLetterQueue?: Entity,
  ) {}

  /** Takes a message a client sent. Returns false when duplicate detection dropped it. */
  enqueue(message: Message, now = new Date()): boolean {
    ensureMessageId(message);
    if (this.isDuplicate(message.message_id, now.getTime())) {
      this.counters.duplicatesDropped++;
      return false;
    }
    const scheduledFor = annotationsOf(message)['x-opt-scheduled-enqueue-time'];
    if (scheduledFor instanceof Date && scheduledFor.getTime() > now.getTime()) {
      this.schedule(message, scheduledFor, now);
      return true;
    }
    this.counters.enqueued++;
    this.makeAvailable({ sequenceNumber: this.nextSequenceNumber(), enqueuedAt: now, message, deliveryCount: 0, state: 'available' });
    return true;
  }

  schedule(message: Message, at: Date, now = new Date()): number {
    ensureMessageId(message);
    const stored: StoredMessage = {
      sequenceNumber: this.nextSequenceNumber(),
      enqueuedAt: at,
      message,
      deliveryCount: 0,
      state: 'scheduled',
      scheduledFor: at,
    };
    this.messages.set(stored.sequenceNumber, stored);
    this.counters.scheduled++;
    const timer = setTimeout(() => {
      this.scheduleTimers.delete(stored.sequenceNumber);
      stored.enqueuedAt = new Date();
      this.counters.enqueued++;
      this.makeAvailable(stored);
    }, at.getTime() - now.getTime());
    this.scheduleTimers.set(stored.sequenceNumber, timer);
    return stored.sequenceNumber;
  }

  cancelScheduled(sequenceNumber: number): boolean {
    const timer = this.scheduleTimers.get(sequenceNumber);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.scheduleTimers.delete(sequenceNumber);
    this.messages.delete(sequenceNumber);
    return true;
  }

  /** Hands out the next message: locked for peekLock, removed for receiveAndDelete. */
  take(mode: 'peekLock' | 'receiveAndDelete', now = new Date()): { stored: StoredMessage; lock?: Lock } | undefined {
    for (let stored = this.available.shift(); stored; stored = this.available.shift()) {
      const ttl = stored.message.ttl;
      if (typeof ttl === 'number' && stored.enqueuedAt.getTime() + ttl <= now.getTime()) {
        this.messages.delete(stored.sequenceNumber);
        this.counters.expired++;
        continue;
      }
      this.counters.delivered++;
      if (mode === 'receiveAndDelete') {
        this.messages.delete(stored.sequenceNumber);
        return { stored };
      }
      return { stored, lock: this.lock(stored, now) };
    }
    return undefined;
  }

  /** Applies a client's disposition. Returns the error to settle with, if any. */
  settle(token: string, settlement: Settlement): AmqpError | undefined {
    const lock = this.locks.get(token);
    if (!lock) return LOCK_LOST;
    if (settlement.kind === 'deadLetter' && !this.deadLetterQueue) {
      return { condition: 'amqp:not-allowed', description: `Messages in '${this.path}' cannot be dead-lettered again.` };
    }
    this.unlock(lock);
    const stored = lock.message;
    switch (settlement.kind) {
      case 'complete':
        this.messages.delete(stored.sequenceNumber);
        this.counters.completed++;
        break;
      case 'abandon':
        this.counters.abandoned++;
        if (settlement.properties) stored.message = withApplicationProperties(stored.message, settlement.properties);
        this.returnAfterFailedDelivery(stored);
        break;
      case 'release':
        this.makeAvailable(stored);
        break;
      case 'deadLetter':
        this.deadLetter(stored, settlement.reason, settlement.description, settlement.properties);
        break;
    }
    return undefined;
  }

  renewLock(token: string, now = new Date()): Date | undefined {
    const lock = this.locks.get(token);
    if (!lock) return undefined;
    clearTimeout(lock.timer);
    lock.lockedUntil = new Date(now.getTime() + this.settings.lockDurationMs);
    lock.timer = setTimeout(() => this.expire(lock), this.settings.lockDurationMs);
    this.counters.lockRenewals++;
    return lock.lockedUntil;
  }

  /** Every live message (available, locked, scheduled) from a sequence number on, in order. */
  peek(fromSequenceNumber = 0, maxCount = Number.POSITIVE_INFINITY): StoredMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.sequenceNumber >= fromSequenceNumber)
      .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
      .slice(0, maxCount);
  }

  /** Registers a callback run whenever a message becomes available; returns its removal. */
  onAvailable(waiter: () => void): () => void {
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }

  close(): void {
    for (const lock of this.locks.values()) clearTimeout(lock.timer);
    for (const timer of this.scheduleTimers.values()) clearTimeout(timer);
    this.locks.clear();
    this.scheduleTimers.clear();
    this.waiters.clear();
  }

  private isDuplicate(messageId: unknown, nowMs: number): boolean {
    const window = this.settings.duplicateDetectionWindowMs;
    if (window === undefined) return false;
    const key = messageIdKey(messageId);
    const seenAt = this.seenMessageIds.get(key);
    if (seenAt !== undefined && nowMs - seenAt < window) return true;
    this.seenMessageIds.set(key, nowMs);
    return false;
  }

  private lock(stored: StoredMessage, now: Date): Lock {
    stored.state = 'locked';
    const lock: Lock = {
      token: generate_uuid(),
      message: stored,
      lockedUntil: new Date(now.getTime() + this.settings.lockDurationMs),
      timer: setTimeout(() => this.expire(lock), this.settings.lockDurationMs),
    };
    this.locks.set(lock.token, lock);
    return lock;
  }

  private unlock(lock: Lock): void {
    clearTimeout(lock.timer);
    this.locks.delete(lock.token);
  }

  private expire(lock: Lock): void {
    if (this.locks.get(lock.token) !== lock) return;
    this.unlock(lock);
    this.counters.lockExpirations++;
    this.returnAfterFailedDelivery(lock.message);
  }

  private returnAfterFailedDelivery(stored: StoredMessage): void {
    stored.deliveryCount++;
    if (this.deadLetterQueue && stored.deliveryCount >= this.settings.maxDeliveryCount) {
      this.deadLetter(
        stored,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${this.settings.maxDeliveryCount} delivery attempts.`,
      );
      return;
    }
    this.makeAvailable(stored);
  }

  private deadLetter(stored: StoredMessage, reason?: string, description?: string, properties?: Record<string, unknown>): void {
    const dlq = this.deadLetterQueue;
    if (!dlq) throw new Error(`'${this.path}' has no dead-letter queue`);
    this.messages.delete(stored.sequenceNumber);
    this.counters.deadLettered++;
    const withReason = withApplicationProperties(stored.message, {
      ...properties,
      DeadLetterReason: reason,
      DeadLetterErrorDescription: description,
    });
    dlq.makeAvailable({
      sequenceNumber: stored.sequenceNumber,
      enqueuedAt: stored.enqueuedAt,
      message: withAnnotations(withReason, { 'x-opt-deadletter-source': this.path }),
      deliveryCount: stored.deliveryCount,
      state: 'available',
    });
  }

  private makeAvailable(stored: StoredMessage): void {
    stored.state = 'available';
    this.messages.set(stored.sequenceNumber, stored);
    // Abandoned and dead-lettered messages keep their sequence number, so keep the order by it.
    const last = this.available[this.available.length - 1];
    if (!last || last.sequenceNumber < stored.sequenceNumber) {
      this.available.push(stored);
    } else {
      const at = this.available.findIndex((m) => m.sequenceNumber > stored.sequenceNumber);
      this.available.splice(at, 0, stored);
    }
    for (const waiter of [...this.waiters]) waiter();
  }
}
