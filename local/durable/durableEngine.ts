import type { LogHandler } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { InstanceAlreadyRunningError, InstanceNotFoundError } from './durableEngineErrors';
import type { EngineClock } from './engineClock';
import { historyEvent, HistoryEventType, optionalInput, toJsonText, type HistoryEvent } from './historyEvent';
import { isActive, type HistoryStore, type InstanceFailure, type InstanceRecord, type RuntimeStatus } from './historyStore';
import { outstandingWork } from './outstandingWork';
import { registeredFunctions, type FunctionResolver } from './registeredFunctions';
import type { ScheduledWork } from './replayActions';
import { runActivity, type ActivityOutcome } from './runActivity';
import { runEpisode, type Effect, type Execution } from './runEpisode';

export interface DurableEngineOptions {
  readonly clock: EngineClock;
  readonly store: HistoryStore;
  /** Where handlers come from; by default the registrations of `df.app.*`. */
  readonly functions?: FunctionResolver;
  /** Also send structured FailureDetails with failed tasks, as newer hosts do: orchestrators then catch TaskFailedError. */
  readonly failureDetails?: boolean;
  readonly logHandler?: LogHandler;
}

export interface StartOptions {
  readonly instanceId?: string;
  readonly input?: unknown;
}

export interface InstanceStatus {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly customStatus?: unknown;
  readonly failure?: InstanceFailure;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
}

/**
 * Runs orchestrations registered with durable-functions on the library's own replay engine, doing
 * the host's part: history, activities, durable timers, external events, sub-orchestrations and
 * continue-as-new. Instances live in the history store, so a new engine over the same store
 * resumes them (`resumeAll`) the way a restarted host does: completed work is replayed from
 * history, work in flight is redone (at least once), timers are re-armed.
 */
export class DurableEngine {
  private readonly functions: FunctionResolver;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly faults: unknown[] = [];
  private readonly armedTimers = new Map<string, () => void>();
  private readonly runningActivities = new Set<string>();
  private stopped = false;

  constructor(private readonly options: DurableEngineOptions) {
    this.functions = options.functions ?? registeredFunctions;
  }

  /** Throws InstanceAlreadyRunningError while an instance with this id is pending or running. */
  async startNew(name: string, options: StartOptions = {}): Promise<string> {
    this.functions.orchestration(name);
    const instanceId = options.instanceId ?? randomUUID();
    await this.createInstance(instanceId, name, options.input);
    return instanceId;
  }

  /** Events for a finished instance are dropped, as the host answers 410 Gone. */
  async raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void> {
    const record = await this.options.store.read(instanceId);
    if (!record) throw new InstanceNotFoundError(instanceId);
    await this.deliver(record, historyEvent(HistoryEventType.EventRaised, this.options.clock.now(), { Name: eventName, ...optionalInput(data) }));
  }

  async terminate(instanceId: string, reason: string): Promise<void> {
    await this.exclusive(instanceId, async () => {
      const record = await this.options.store.read(instanceId);
      if (!record) throw new InstanceNotFoundError(instanceId);
      if (!isActive(record.runtimeStatus)) return;
      const now = this.options.clock.now();
      const terminated: InstanceRecord = {
        ...record,
        runtimeStatus: 'Terminated',
        output: reason,
        inbox: [],
        lastUpdatedAt: now.toISOString(),
        history: [...record.history, historyEvent(HistoryEventType.ExecutionTerminated, now, optionalInput(reason))],
      };
      await this.options.store.write(terminated);
      this.perform([{ kind: 'finished', record: terminated }]);
    });
  }

  async getStatus(instanceId: string): Promise<InstanceStatus | undefined> {
    const record = await this.options.store.read(instanceId);
    if (!record) return undefined;
    const { history: _history, inbox: _inbox, executionId: _executionId, parent: _parent, ...status } = record;
    return status;
  }

  /** History of the instance's current execution. */
  async getHistory(instanceId: string): Promise<readonly HistoryEvent[]> {
    return (await this.options.store.read(instanceId))?.history ?? [];
  }

  /** Picks up every unfinished instance in the store; call once on a new engine. Returns how many. */
  async resumeAll(): Promise<number> {
    const unfinished = (await this.options.store.list()).filter((r) => isActive(r.runtimeStatus));
    for (const record of unfinished) {
      this.perform(outstandingWork(record));
      this.kick(record.instanceId);
    }
    return unfinished.length;
  }

  /** Resolves when nothing is left to do until a timer fires or an event is raised; rethrows engine faults. */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const faults = this.faults.splice(0);
    if (faults.length === 1) throw faults[0];
    if (faults.length > 1) throw new AggregateError(faults, 'The durable engine failed while running instances');
  }

  /** Like a host going down: timers are disarmed, late activity results and new events are dropped. */
  stop(): void {
    this.stopped = true;
    for (const cancel of this.armedTimers.values()) cancel();
    this.armedTimers.clear();
  }

  private async createInstance(instanceId: string, name: string, input: unknown, parent?: InstanceRecord['parent']): Promise<void> {
    await this.exclusive(instanceId, async () => {
      const existing = await this.options.store.read(instanceId);
      if (existing && isActive(existing.runtimeStatus)) throw new InstanceAlreadyRunningError(instanceId, existing.runtimeStatus);
      const now = this.options.clock.now();
      const executionId = randomUUID();
      const started = historyEvent(HistoryEventType.ExecutionStarted, now, {
        Name: name,
        ...optionalInput(input),
        OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
        ...(parent ? { ParentInstance: { InstanceId: parent.instanceId, TaskScheduledId: parent.taskScheduledId } } : {}),
      });
      const stamp = now.toISOString();
      await this.options.store.write({ instanceId, name, executionId, runtimeStatus: 'Pending', input, createdAt: stamp, lastUpdatedAt: stamp, ...(parent ? { parent } : {}), history: [], inbox: [started] });
    });
    this.kick(instanceId);
  }

  /** Queues an event for the execution it belongs to; results for a finished or replaced execution are dropped. */
  private async deliver(to: Execution, event: HistoryEvent): Promise<void> {
    if (this.stopped) return;
    const queued = await this.exclusive(to.instanceId, async () => {
      const record = await this.options.store.read(to.instanceId);
      if (!record || record.executionId !== to.executionId || !isActive(record.runtimeStatus)) return false;
      await this.options.store.write({ ...record, inbox: [...record.inbox, event] });
      return true;
    });
    if (queued) this.kick(to.instanceId);
  }

  private kick(instanceId: string): void {
    this.track(this.exclusive(instanceId, () => this.drain(instanceId)));
  }

  private async drain(instanceId: string): Promise<void> {
    const record = await this.options.store.read(instanceId);
    if (this.stopped || !record || !isActive(record.runtimeStatus) || record.inbox.length === 0) return;
    const { next, effects } = await runEpisode(record, {
      now: this.options.clock.now(),
      orchestration: (name) => this.functions.orchestration(name),
      ...(this.options.logHandler ? { logHandler: this.options.logHandler } : {}),
    });
    await this.options.store.write(next);
    this.perform(effects);
  }

  /** Side effects of a committed episode, as the host sends messages only after saving history. */
  private perform(effects: readonly Effect[]): void {
    if (this.stopped) return;
    for (const effect of effects) {
      if (effect.kind === 'finished') {
        this.disarm(effect.record);
        const { parent } = effect.record;
        if (parent) this.track(this.deliver(parent, completionForParent(effect.record, parent.taskScheduledId, this.options.clock.now())));
      } else if (effect.kind === 'restarted') {
        this.disarm(effect.previous);
        this.kick(effect.previous.instanceId);
      } else {
        this.start(effect.at, effect.work);
      }
    }
  }

  private start(at: Execution, work: ScheduledWork): void {
    const key = `${at.instanceId}/${at.executionId}/${work.id}`;
    if (work.kind === 'timer') {
      if (this.armedTimers.has(key)) return;
      let fired = false;
      const cancel = this.options.clock.schedule(new Date(work.fireAt), () => {
        fired = true;
        this.armedTimers.delete(key);
        this.track(this.deliver(at, historyEvent(HistoryEventType.TimerFired, this.options.clock.now(), { TimerId: work.id, FireAt: work.fireAt })));
      });
      // A clock may fire at once, before `schedule` returns.
      if (!fired) this.armedTimers.set(key, cancel);
    } else if (work.kind === 'activity') {
      if (this.runningActivities.has(key)) return;
      this.runningActivities.add(key);
      this.track(this.runActivity(at, work).finally(() => this.runningActivities.delete(key)));
    } else {
      this.track(this.startChild(at, work));
    }
  }

  private async runActivity(at: Execution, work: Extract<ScheduledWork, { kind: 'activity' }>): Promise<void> {
    let outcome: ActivityOutcome;
    try {
      outcome = await runActivity(this.functions.activity(work.name), work.name, work.input, this.options.logHandler);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome = { ok: false, reason: message, details: '', failureDetails: { ErrorType: 'FunctionNotFound', ErrorMessage: message, IsNonRetriable: true } };
    }
    if (this.stopped) return;
    const now = this.options.clock.now();
    const event = outcome.ok
      ? historyEvent(HistoryEventType.TaskCompleted, now, { TaskScheduledId: work.id, Result: JSON.stringify(outcome.result) })
      : historyEvent(HistoryEventType.TaskFailed, now, {
          TaskScheduledId: work.id,
          Reason: outcome.reason,
          Details: outcome.details,
          ...(this.options.failureDetails ? { FailureDetails: outcome.failureDetails } : {}),
        });
    await this.deliver(at, event);
  }

  private async startChild(at: Execution, work: Extract<ScheduledWork, { kind: 'subOrchestration' }>): Promise<void> {
    const childId = work.instanceId ?? `${at.instanceId}:${work.id}`;
    const existing = await this.options.store.read(childId);
    const parent = existing?.parent;
    const ours = parent?.instanceId === at.instanceId && parent.executionId === at.executionId && parent.taskScheduledId === work.id;
    if (existing && ours) {
      // Resumed after a restart: the child exists already; report it if it finished meanwhile.
      if (!isActive(existing.runtimeStatus)) await this.deliver(at, completionForParent(existing, work.id, this.options.clock.now()));
      return;
    }
    try {
      await this.createInstance(childId, work.name, work.input, { ...at, taskScheduledId: work.id });
    } catch (error) {
      if (!(error instanceof InstanceAlreadyRunningError)) throw error;
      await this.deliver(at, historyEvent(HistoryEventType.SubOrchestrationInstanceFailed, this.options.clock.now(), { TaskScheduledId: work.id, Reason: error.message, Details: '' }));
    }
  }

  private disarm(execution: Execution): void {
    const prefix = `${execution.instanceId}/${execution.executionId}/`;
    for (const [key, cancel] of this.armedTimers) {
      if (!key.startsWith(prefix)) continue;
      cancel();
      this.armedTimers.delete(key);
    }
  }

  /** Runs `task` after every earlier task for the same instance has settled. */
  private exclusive<T>(instanceId: string, task: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(instanceId) ?? Promise.resolve()).then(task, task);
    const tail = run.catch(() => undefined);
    this.locks.set(instanceId, tail);
    void tail.then(() => {
      if (this.locks.get(instanceId) === tail) this.locks.delete(instanceId);
    });
    return run;
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.then(
      () => undefined,
      (error: unknown) => void this.faults.push(error),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}

function completionForParent(child: InstanceRecord, taskScheduledId: number, now: Date): HistoryEvent {
  if (child.runtimeStatus === 'Completed') {
    return historyEvent(HistoryEventType.SubOrchestrationInstanceCompleted, now, { TaskScheduledId: taskScheduledId, Result: toJsonText(child.output) ?? 'null' });
  }
  const reason = child.failure?.message ?? `Sub-orchestration '${child.instanceId}' ended ${child.runtimeStatus.toLowerCase()}: ${String(child.output)}`;
  return historyEvent(HistoryEventType.SubOrchestrationInstanceFailed, now, { TaskScheduledId: taskScheduledId, Reason: reason, Details: child.failure?.details ?? '' });
}
