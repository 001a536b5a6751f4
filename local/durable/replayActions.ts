import { NonDeterministicOrchestrationError, UnsupportedActionError } from './durableEngineErrors';
import { HistoryEventType, type HistoryEvent } from './historyEvent';
import { retryDelay } from './retryDelay';
import { ActionType, decodeActionInput, type WireAction, type WireRetryOptions } from './wireAction';

export type ScheduledWork =
  | { readonly kind: 'activity'; readonly id: number; readonly name: string; readonly input: unknown }
  | { readonly kind: 'timer'; readonly id: number; readonly fireAt: string }
  | { readonly kind: 'subOrchestration'; readonly id: number; readonly name: string; readonly instanceId?: string; readonly input: unknown };

export interface TimerLimits {
  /** Longer timers are split, as the host does for replay schema V3 and later. */
  readonly maximumShortTimerMs: number;
  readonly longRunningTimerIntervalMs: number;
}

export interface ReplayResult {
  /** Work the orchestrator asked for that its history does not record yet, in sequence order. */
  readonly newWork: readonly ScheduledWork[];
  /**
   * Activities, sub-orchestrations and timers neither finished nor cancelled. The framework keeps
   * an instance Running while any remain, even after the orchestrator returned or failed.
   */
  readonly hasOpenTasks: boolean;
  readonly continueAsNew?: { readonly input: unknown };
}

/**
 * The host's half of a replay. The orchestrator returns every action since it started; the
 * extension's out-of-process shim awaits them one after another on the Durable Task Framework,
 * which numbers activities, timers and sub-orchestrations in the order they are scheduled (retry
 * timers and later attempts take numbers when the failures arrive) and checks each scheduled
 * event of the history against what the replay scheduled with that number. This does the same:
 * it walks the history, lets the actions advance as their tasks complete, and returns what is new.
 * Throws NonDeterministicOrchestrationError where the framework would.
 */
export function replayActions(actions: readonly WireAction[], history: readonly HistoryEvent[], limits: TimerLimits): ReplayResult {
  return new ShimReplay(actions, limits).run(history);
}

class PendingTask {
  private state: 'running' | 'succeeded' | 'failed' = 'running';
  private readonly continuations: Array<() => void> = [];

  get done(): boolean {
    return this.state !== 'running';
  }

  get failed(): boolean {
    return this.state === 'failed';
  }

  settle(failed: boolean): void {
    if (this.done) return;
    this.state = failed ? 'failed' : 'succeeded';
    for (const next of this.continuations.splice(0)) next();
  }

  then(next: () => void): void {
    if (this.done) next();
    else this.continuations.push(next);
  }

  static settled(failed = false): PendingTask {
    const task = new PendingTask();
    task.settle(failed);
    return task;
  }
}

type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Slot {
  readonly work: ScheduledWork;
  readonly task: PendingTask;
  recorded: boolean;
}

class ShimReplay {
  private nextId = 0;
  private nextAction = 0;
  private now = new Date(0);
  private continueAsNew: { input: unknown } | undefined;
  private readonly slots = new Map<number, Slot>();
  private readonly eventWaiters = new Map<string, PendingTask[]>();
  private readonly bufferedEvents = new Map<string, number>();

  constructor(
    private readonly actions: readonly WireAction[],
    private readonly limits: TimerLimits,
  ) {}

  run(history: readonly HistoryEvent[]): ReplayResult {
    for (const event of history) this.apply(event);
    const slots = [...this.slots.values()];
    const newWork = slots.filter((slot) => !slot.recorded).map((slot) => slot.work);
    const hasOpenTasks = slots.some((slot) => !slot.task.done);
    return this.continueAsNew ? { newWork, hasOpenTasks, continueAsNew: this.continueAsNew } : { newWork, hasOpenTasks };
  }

  private apply(event: HistoryEvent): void {
    switch (event.EventType) {
      case HistoryEventType.OrchestratorStarted:
        this.now = new Date(event.Timestamp);
        break;
      case HistoryEventType.ExecutionStarted:
        this.advance();
        break;
      case HistoryEventType.TaskScheduled:
        this.record(event, 'activity');
        break;
      case HistoryEventType.TimerCreated:
        this.record(event, 'timer');
        break;
      case HistoryEventType.SubOrchestrationInstanceCreated:
        this.record(event, 'subOrchestration');
        break;
      case HistoryEventType.TaskCompleted:
      case HistoryEventType.SubOrchestrationInstanceCompleted:
        this.settle(event.TaskScheduledId, false);
        break;
      case HistoryEventType.TaskFailed:
      case HistoryEventType.SubOrchestrationInstanceFailed:
        this.settle(event.TaskScheduledId, true);
        break;
      case HistoryEventType.TimerFired:
        this.settle(event.TimerId, false);
        break;
      case HistoryEventType.EventRaised:
        this.deliver(event.Name ?? '');
        break;
      default:
        break;
    }
  }

  /** The shim awaits each top-level action (failed or not) before it looks at the next. */
  private advance(): void {
    while (this.nextAction < this.actions.length) {
      const task = this.invoke(this.actions[this.nextAction++]!);
      if (!task.done) {
        task.then(() => this.advance());
        return;
      }
    }
  }

  private invoke(action: WireAction): PendingTask {
    switch (action.actionType) {
      case ActionType.CallActivity:
        return this.activity(action);
      case ActionType.CallActivityWithRetry:
        return this.withRetry(retryOptionsOf(action), () => this.activity(action));
      case ActionType.CallSubOrchestrator:
        return this.subOrchestration(action);
      case ActionType.CallSubOrchestratorWithRetry:
        return this.withRetry(retryOptionsOf(action), () => this.subOrchestration(action));
      case ActionType.CreateTimer:
        return this.timer(new Date(action.fireAt ?? 0), action.isCanceled === true);
      case ActionType.WaitForExternalEvent:
        return this.waitForEvent(action.externalEventName ?? '');
      case ActionType.WhenAll:
        return whenAll((action.compoundActions ?? []).map((child) => this.invoke(child)));
      case ActionType.WhenAny:
        return whenAny((action.compoundActions ?? []).map((child) => this.invoke(child)));
      case ActionType.ContinueAsNew:
        this.continueAsNew = { input: decodeActionInput(action.input) };
        return PendingTask.settled();
      default:
        throw new UnsupportedActionError(action.actionType);
    }
  }

  private activity(action: WireAction): PendingTask {
    return this.schedule({ kind: 'activity', name: action.functionName ?? '', input: decodeActionInput(action.input) });
  }

  private subOrchestration(action: WireAction): PendingTask {
    const work = { kind: 'subOrchestration', name: action.functionName ?? '', input: action.input } as const;
    return this.schedule(action.instanceId ? { ...work, instanceId: action.instanceId } : work);
  }

  /**
   * Long timers are a chain of shorter ones, each decided on the clock of the episode that saw the
   * previous one fire. A cancelled timer is still created (its first link), but completes at once
   * and no longer keeps the instance open; its firing is ignored.
   */
  private timer(fireAt: Date, cancelled: boolean): PendingTask {
    const nextLink = (): Date | undefined => {
      const remaining = fireAt.getTime() - this.now.getTime();
      if (remaining <= 0) return undefined;
      return remaining > this.limits.maximumShortTimerMs ? new Date(this.now.getTime() + this.limits.longRunningTimerIntervalMs) : fireAt;
    };
    if (cancelled) {
      this.shortTimer(nextLink() ?? fireAt).settle(false);
      return PendingTask.settled();
    }
    if (fireAt.getTime() - this.now.getTime() <= this.limits.maximumShortTimerMs) return this.shortTimer(fireAt);
    const whole = new PendingTask();
    const step = (): void => {
      const next = nextLink();
      if (next === undefined) whole.settle(false);
      else this.shortTimer(next).then(step);
    };
    step();
    return whole;
  }

  private shortTimer(fireAt: Date): PendingTask {
    return this.schedule({ kind: 'timer', fireAt: fireAt.toISOString() });
  }

  /** A retry timer follows every failed attempt, the last one included, as the framework's RetryInterceptor does. */
  private withRetry(options: WireRetryOptions, attempt: () => PendingTask): PendingTask {
    const whole = new PendingTask();
    const firstAttemptAt = this.now;
    let failures = 0;
    const tryOnce = (): void => {
      const task = attempt();
      task.then(() => {
        if (!task.failed) return whole.settle(false);
        failures += 1;
        const delay = retryDelay(options, failures, firstAttemptAt, this.now);
        // No timer once the retry timeout has passed: the host gives up, the library keeps waiting for one.
        if (delay === undefined) return whole.settle(true);
        this.shortTimer(new Date(this.now.getTime() + delay)).then(() => (failures >= options.maxNumberOfAttempts ? whole.settle(true) : tryOnce()));
      });
    };
    tryOnce();
    return whole;
  }

  private waitForEvent(name: string): PendingTask {
    const buffered = this.bufferedEvents.get(name) ?? 0;
    if (buffered > 0) {
      this.bufferedEvents.set(name, buffered - 1);
      return PendingTask.settled();
    }
    const task = new PendingTask();
    this.eventWaiters.set(name, [...(this.eventWaiters.get(name) ?? []), task]);
    return task;
  }

  private deliver(name: string): void {
    // The newest waiter gets the event, as in the library (openEvents[name].pop()).
    const waiter = this.eventWaiters.get(name)?.pop();
    if (waiter) waiter.settle(false);
    else this.bufferedEvents.set(name, (this.bufferedEvents.get(name) ?? 0) + 1);
  }

  private schedule(unnumbered: Unnumbered<ScheduledWork>): PendingTask {
    const work = { ...unnumbered, id: this.nextId++ } as ScheduledWork;
    const slot: Slot = { work, task: new PendingTask(), recorded: false };
    this.slots.set(work.id, slot);
    return slot.task;
  }

  private settle(id: number | undefined, failed: boolean): void {
    // Results for unknown numbers are ignored, as duplicates are by the framework.
    if (id !== undefined) this.slots.get(id)?.task.settle(failed);
  }

  private record(event: HistoryEvent, kind: ScheduledWork['kind']): void {
    const id = event.EventId;
    const recorded = describe(kind, event.Name);
    const slot = this.slots.get(id);
    if (!slot) {
      throw new NonDeterministicOrchestrationError(
        id,
        `A previous execution of this orchestration scheduled ${recorded} with sequence ID ${id}, but the current replay execution hasn't (yet?) scheduled this task. ` +
          'Was a change made to the orchestrator code after this instance had already started running?',
      );
    }
    const replayed = describe(slot.work.kind, slot.work.kind === 'timer' ? undefined : slot.work.name);
    const sameName = slot.work.kind === 'timer' || (event.Name ?? '').toLowerCase() === slot.work.name.toLowerCase();
    if (slot.work.kind !== kind || !sameName) {
      throw new NonDeterministicOrchestrationError(
        id,
        `A previous execution of this orchestration scheduled ${recorded} with sequence number ${id}, but the current replay execution instead scheduled ${replayed} with this sequence number. ` +
          'Was a change made to the orchestrator code after this instance had already started running?',
      );
    }
    slot.recorded = true;
  }
}

function retryOptionsOf(action: WireAction): WireRetryOptions {
  return action.retryOptions ?? { firstRetryIntervalInMilliseconds: 1, maxNumberOfAttempts: 1 };
}

/** Task.WhenAll on the host: done when every child is done, even after a failure. */
function whenAll(children: readonly PendingTask[]): PendingTask {
  const whole = new PendingTask();
  let remaining = children.length;
  if (remaining === 0) whole.settle(false);
  for (const child of children) {
    child.then(() => {
      remaining -= 1;
      if (remaining === 0) whole.settle(children.some((c) => c.failed));
    });
  }
  return whole;
}

function whenAny(children: readonly PendingTask[]): PendingTask {
  const whole = new PendingTask();
  for (const child of children) child.then(() => whole.settle(false));
  return whole;
}

function describe(kind: ScheduledWork['kind'], name: string | undefined): string {
  switch (kind) {
    case 'activity':
      return `an activity task named '${name ?? ''}'`;
    case 'subOrchestration':
      return `a sub-orchestration named '${name ?? ''}'`;
    case 'timer':
      return 'a durable timer';
  }
}
