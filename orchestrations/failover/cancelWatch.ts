import type { OrchestrationContext, Task } from 'durable-functions';
import { FAILOVER_EVENTS, type CancelEvent } from '../../shared/contracts/failoverContract';

/**
 * Watches for a cancel across the waits before the fence. The durable library gives a raised
 * event to the newest open wait of that name and a task may sit in one `Task.any` only, so every
 * wait takes a fresh task from `next()`, and `raised` also catches a cancel that arrived while
 * no wait was open (it lands on the previous, already abandoned task).
 */
export class CancelWatch {
  private latest: Task | undefined;

  constructor(private readonly context: OrchestrationContext) {}

  get raised(): boolean {
    return this.latest?.isCompleted === true;
  }

  next(): Task {
    this.latest = this.context.df.waitForExternalEvent(FAILOVER_EVENTS.cancel);
    return this.latest;
  }

  isCancel(task: Task): boolean {
    return task === this.latest;
  }

  /** Who cancelled and why, once raised. */
  get event(): Partial<CancelEvent> {
    const data = this.latest?.result;
    return typeof data === 'object' && data !== null ? (data) : {};
  }
}
