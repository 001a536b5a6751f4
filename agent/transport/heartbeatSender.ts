import { randomUUID } from 'node:crypto';
import type { ServiceBusClient, ServiceBusSender } from '@azure/service-bus';
import { COMMAND_CONTRACT_VERSION, WATCHDOG_INBOX_QUEUE, agentHeartbeatSchema, type AgentHeartbeat } from '../../shared/contracts/agentCommands';
import type { Logger } from '../../shared/ports/logger.port';
import { describeTransportError } from './serviceBusClient';

/** What the agent reports in each heartbeat; the sender adds time, sequence and bootId. */
export type HeartbeatFields = Pick<AgentHeartbeat, 'pairId' | 'host' | 'agentVersion' | 'service' | 'epochSeen' | 'fenced'>;

export interface HeartbeatSenderOptions {
  readonly intervalMs: number;
  /** Read afresh for every heartbeat (service state, epoch seen, fenced). */
  readonly fields: () => HeartbeatFields | Promise<HeartbeatFields>;
  readonly logger: Logger;
  /** Default WATCHDOG_INBOX_QUEUE. */
  readonly queueName?: string;
  /** Default three intervals: an older heartbeat tells the watchdog nothing it can use. */
  readonly timeToLiveMs?: number;
  /** Default a fresh uuid: one per agent process, so the watchdog sees restarts. */
  readonly bootId?: string;
  readonly clock?: () => Date;
}

export const HEARTBEAT_TTL_INTERVALS = 3;

/**
 * Sends the agent's heartbeat to the watchdog's inbox every interval. Beats never overlap: the
 * next is scheduled when the previous one has finished, and a send is abandoned once its
 * heartbeat would have expired anyway. A failed beat is logged and forgotten; the next tick
 * sends a fresh one, so a long outage leaves no backlog of stale heartbeats behind it.
 */
export class HeartbeatSender {
  readonly bootId: string;
  private readonly queueName: string;
  private readonly timeToLiveMs: number;
  private readonly clock: () => Date;
  private sender: ServiceBusSender | undefined;
  private nextSequence = 0;
  private current: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Beats lost in the current outage; 0 while they get through. */
  private failedInARow = 0;

  constructor(
    private readonly client: ServiceBusClient,
    private readonly options: HeartbeatSenderOptions,
  ) {
    if (!(options.intervalMs > 0)) throw new RangeError('intervalMs must be positive');
    this.bootId = options.bootId ?? randomUUID();
    this.queueName = options.queueName ?? WATCHDOG_INBOX_QUEUE;
    this.timeToLiveMs = options.timeToLiveMs ?? HEARTBEAT_TTL_INTERVALS * options.intervalMs;
    this.clock = options.clock ?? (() => new Date());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
    const sender = this.sender;
    this.sender = undefined;
    await sender?.close();
  }

  /**
   * One heartbeat now; resolves true when it was sent. The loop calls it every interval; call it
   * also when the service's state changes, so the watchdog hears of it at once. A call while a
   * beat is under way joins that beat instead of overlapping it.
   */
  beat(): Promise<boolean> {
    this.current ??= this.send().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  private async tick(): Promise<void> {
    const startedAt = performance.now();
    await this.beat();
    if (!this.running) return;
    // Fixed rate while sends are quick; after a slow one, the next follows at once, never twice.
    const wait = Math.max(0, this.options.intervalMs - (performance.now() - startedAt));
    this.timer = setTimeout(() => void this.tick(), wait);
  }

  private async send(): Promise<boolean> {
    const sequence = this.nextSequence++;
    let heartbeat: AgentHeartbeat;
    try {
      const fields = await this.options.fields();
      heartbeat = agentHeartbeatSchema.parse({
        contract: COMMAND_CONTRACT_VERSION,
        kind: 'agentHeartbeat',
        ...fields,
        sentAt: this.clock().toISOString(),
        sequence,
        bootId: this.bootId,
      });
    } catch (error) {
      this.options.logger.error('heartbeat not built; skipping this beat', { sequence, ...describeTransportError(error) });
      return false;
    }
    try {
      this.sender ??= this.client.createSender(this.queueName);
      await this.sender.sendMessages(
        {
          body: heartbeat,
          contentType: 'application/json',
          messageId: `${this.bootId}:${sequence}`,
          subject: heartbeat.kind,
          timeToLive: this.timeToLiveMs,
        },
        { abortSignal: AbortSignal.timeout(this.timeToLiveMs) },
      );
    } catch (error) {
      // Logged when an outage starts, not every few seconds; its end is logged with the count.
      if (this.failedInARow === 0) {
        this.options.logger.warn('heartbeat not sent; will keep trying every interval', { queue: this.queueName, sequence, ...describeTransportError(error) });
      }
      this.failedInARow++;
      return false;
    }
    if (this.failedInARow > 0) this.options.logger.info('heartbeats are getting through again', { queue: this.queueName, sequence, lost: this.failedInARow });
    this.failedInARow = 0;
    return true;
  }
}
