import type { AgentReply, CommandEnvelope } from '../../../shared/contracts/agentCommands';
import type { SeededRandom } from './seededRandom';
import type { WorldScheduler } from './worldScheduler';

/** Faults of the Service Bus paths between the watchdog and the agents. */
export interface NetworkFaults {
  readonly replyLoss: number;
  readonly replyDuplicate: number;
  /** Every reply takes up to this long, so replies overtake one another. */
  readonly replyDelayMaxSeconds: number;
  /** Some replies take minutes. */
  readonly replyLongDelay: number;
  readonly replyLongDelayMaxSeconds: number;
  readonly commandDelayMaxSeconds: number;
  readonly commandDuplicate: number;
  /** Replies to these command types never arrive (a scenario's targeted loss, on top of `replyLoss`). */
  readonly lostRepliesTo?: readonly string[];
}

export const CALM_NETWORK: NetworkFaults = {
  replyLoss: 0,
  replyDuplicate: 0,
  replyDelayMaxSeconds: 1,
  replyLongDelay: 0,
  replyLongDelayMaxSeconds: 0,
  commandDelayMaxSeconds: 1,
  commandDuplicate: 0,
};

/**
 * The command queues to the agents and the watchdog's inbox, with their faults: commands late
 * or delivered twice (at-least-once), replies lost, duplicated, late by seconds or minutes, and
 * so out of order. What arrives is handed on as it came.
 */
export class WorldServiceBus {
  constructor(
    private readonly scheduler: WorldScheduler,
    private readonly random: SeededRandom,
    private readonly faults: NetworkFaults,
  ) {}

  sendCommand(envelope: CommandEnvelope, deliver: (envelope: CommandEnvelope) => void): void {
    const copies = this.random.chance(this.faults.commandDuplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) this.scheduler.after(this.random.int(0, this.faults.commandDelayMaxSeconds * 1000), () => deliver(envelope));
  }

  sendReply(reply: AgentReply, deliver: (reply: AgentReply) => Promise<void>): void {
    if (this.random.chance(this.faults.replyLoss) || this.faults.lostRepliesTo?.includes(reply.commandType) === true) return;
    const copies = this.random.chance(this.faults.replyDuplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const long = this.random.chance(this.faults.replyLongDelay) ? this.random.int(0, this.faults.replyLongDelayMaxSeconds * 1000) : 0;
      this.scheduler.after(this.random.int(0, this.faults.replyDelayMaxSeconds * 1000) + long, () => deliver(reply));
    }
  }
}
