import type { RegisteredHandler } from '../../local/durable/callOrchestrator';
import { DurableEngine, type InstanceStatus, type StartOptions } from '../../local/durable/durableEngine';
import type { EngineClock } from '../../local/durable/engineClock';
import type { HistoryEvent } from '../../local/durable/historyEvent';
import type { HistoryStore } from '../../local/durable/historyStore';
import { MemoryHistoryStore } from '../../local/durable/memoryHistoryStore';
import { registeredFunctions, type FunctionResolver } from '../../local/durable/registeredFunctions';

interface Due {
  readonly at: number;
  readonly order: number;
  readonly onDue: () => void;
}

/** Time that moves only when a test says so; due callbacks fire earliest first. */
export class VirtualClock implements EngineClock {
  private current: number;
  private order = 0;
  private due: Due[] = [];

  constructor(start: Date | string = '2026-01-05T09:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  schedule(at: Date, onDue: () => void): () => void {
    const entry: Due = { at: at.getTime(), order: this.order++, onDue };
    this.due.push(entry);
    return () => {
      this.due = this.due.filter((d) => d !== entry);
    };
  }

  /** Fires everything due at the earliest time not after `limit`, moving the clock there; false when nothing is due. */
  fireNext(limit: number): boolean {
    const next = this.due.filter((d) => d.at <= Math.max(limit, this.current)).sort((a, b) => a.at - b.at || a.order - b.order)[0];
    if (!next) return false;
    this.current = Math.max(this.current, next.at);
    const batch = this.due.filter((d) => d.at <= this.current).sort((a, b) => a.at - b.at || a.order - b.order);
    this.due = this.due.filter((d) => !batch.includes(d));
    for (const d of batch) d.onDue();
    return true;
  }

  moveTo(at: number): void {
    this.current = Math.max(this.current, at);
  }
}

export type ActivityFake = (input: unknown, context: unknown) => unknown;

export interface ActivityCall {
  readonly name: string;
  readonly input: unknown;
}

export interface DurableHarnessOptions {
  readonly clock?: VirtualClock;
  readonly store?: HistoryStore;
  readonly fakes?: Readonly<Record<string, ActivityFake>>;
  readonly failureDetails?: boolean;
}

/** A DurableEngine on a virtual clock, with fakeable activities and a record of every activity call. */
export class DurableHarness {
  readonly clock: VirtualClock;
  readonly store: HistoryStore;
  readonly engine: DurableEngine;
  readonly activityCalls: ActivityCall[] = [];
  private readonly fakes: Map<string, ActivityFake>;

  constructor(private readonly options: DurableHarnessOptions = {}) {
    this.clock = options.clock ?? new VirtualClock();
    this.store = options.store ?? new MemoryHistoryStore();
    this.fakes = new Map(Object.entries(options.fakes ?? {}));
    const functions: FunctionResolver = {
      orchestration: (name) => registeredFunctions.orchestration(name),
      activity: (name) => this.recording(name, this.fakes.get(name) ?? registeredFunctions.activity(name)),
    };
    this.engine = new DurableEngine({ clock: this.clock, store: this.store, functions, failureDetails: options.failureDetails ?? false, logHandler: () => undefined });
  }

  /** Replaces an activity for this harness; the registered handler runs otherwise. */
  fakeActivity(name: string, fake: ActivityFake): this {
    this.fakes.set(name, fake);
    return this;
  }

  callsTo(name: string): unknown[] {
    return this.activityCalls.filter((c) => c.name === name).map((c) => c.input);
  }

  async start(name: string, options: StartOptions = {}): Promise<string> {
    const instanceId = await this.engine.startNew(name, options);
    await this.runUntilIdle();
    return instanceId;
  }

  /** Runs the engine until it waits on the future or on an event; fires timers already due. */
  async runUntilIdle(): Promise<void> {
    do await this.engine.whenIdle();
    while (this.clock.fireNext(this.clock.now().getTime()));
  }

  async raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void> {
    await this.engine.raiseEvent(instanceId, eventName, data);
    await this.runUntilIdle();
  }

  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.clock.now().getTime() + ms);
  }

  /** Moves time forward timer by timer, letting the engine settle after each. */
  async advanceTo(at: Date | string | number): Promise<void> {
    const target = new Date(at).getTime();
    await this.runUntilIdle();
    while (this.clock.fireNext(target)) await this.runUntilIdle();
    this.clock.moveTo(target);
  }

  async status(instanceId: string): Promise<InstanceStatus> {
    const status = await this.engine.getStatus(instanceId);
    if (!status) throw new Error(`No instance '${instanceId}'`);
    return status;
  }

  history(instanceId: string): Promise<readonly HistoryEvent[]> {
    return this.engine.getHistory(instanceId);
  }

  /** Simulates a host restart: this engine stops, a new one over the same store and clock resumes everything. */
  async restart(fakes: Readonly<Record<string, ActivityFake>> = {}): Promise<DurableHarness> {
    this.engine.stop();
    const next = new DurableHarness({ ...this.options, clock: this.clock, store: this.store, fakes: { ...Object.fromEntries(this.fakes), ...fakes } });
    await next.engine.resumeAll();
    await next.runUntilIdle();
    return next;
  }

  private recording(name: string, handler: ActivityFake | RegisteredHandler): RegisteredHandler {
    return (input: unknown, context: unknown) => {
      this.activityCalls.push({ name, input });
      return handler(input, context);
    };
  }
}
