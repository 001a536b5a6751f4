import { InvocationContext, type LogHandler } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { HistoryEventType, type HistoryEvent } from './historyEvent';
import type { WireAction } from './wireAction';

/** durable-functions replay schema V3 (long timers), as a current extension negotiates it. */
const UPPER_SCHEMA_VERSION = 2;
export const TIMER_LIMITS = { maximumShortTimerMs: 6 * 86_400_000, longRunningTimerIntervalMs: 3 * 86_400_000 } as const;
const MAXIMUM_SHORT_TIMER = '6.00:00:00';
const LONG_RUNNING_TIMER_INTERVAL = '3.00:00:00';
// OrchestrationFailureError carries the orchestrator state after this label (lib/src/error).
const OUT_OF_PROC_DATA_LABEL = '\n\n$OutOfProcData$:';

export type RegisteredHandler = (...args: unknown[]) => unknown;

export interface OrchestratorCall {
  readonly name: string;
  readonly instanceId: string;
  readonly input: unknown;
  readonly parentInstanceId?: string;
  readonly history: readonly HistoryEvent[];
  readonly logHandler?: LogHandler;
}

/** What one run of the orchestrator returned, as the host receives it. */
export interface OrchestratorTurn {
  readonly isDone: boolean;
  readonly actions: readonly WireAction[];
  readonly output?: unknown;
  readonly customStatus?: unknown;
  /** Set when the orchestrator failed (an unhandled error, including a task failure it did not catch). */
  readonly error?: string;
}

interface WireState {
  readonly isDone?: boolean;
  readonly actions?: readonly (readonly WireAction[])[];
  readonly output?: unknown;
  readonly customStatus?: unknown;
  readonly error?: string;
}

/** Calls the handler `df.app.orchestration` registered, the library's own replay engine, once. */
export async function callOrchestrator(handler: RegisteredHandler, call: OrchestratorCall): Promise<OrchestratorTurn> {
  const lastStart = call.history.findLastIndex((e) => e.EventType === HistoryEventType.OrchestratorStarted);
  // A fresh JSON copy: the library turns Timestamp strings into Dates in place.
  const history = JSON.parse(JSON.stringify(call.history.map((event, index) => ({ ...event, IsPlayed: index < lastStart })))) as unknown[];
  const trigger = {
    history,
    input: call.input === undefined ? undefined : (JSON.parse(JSON.stringify(call.input)) as unknown),
    instanceId: call.instanceId,
    isReplaying: lastStart > 0,
    parentInstanceId: call.parentInstanceId,
    upperSchemaVersion: UPPER_SCHEMA_VERSION,
    maximumShortTimerDuration: MAXIMUM_SHORT_TIMER,
    longRunningTimerIntervalDuration: LONG_RUNNING_TIMER_INTERVAL,
    defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
  };
  const context = new InvocationContext({ functionName: call.name, invocationId: randomUUID(), ...(call.logHandler ? { logHandler: call.logHandler } : {}) });
  try {
    return toTurn(toWire(await handler(trigger, context)));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = message.indexOf(OUT_OF_PROC_DATA_LABEL);
    if (at < 0) return { isDone: false, actions: [], error: message };
    const state = JSON.parse(message.slice(at + OUT_OF_PROC_DATA_LABEL.length)) as WireState;
    return { ...toTurn(state), error: state.error ?? message.slice(0, at) };
  }
}

function toWire(state: unknown): WireState {
  return JSON.parse(JSON.stringify(state ?? {})) as WireState;
}

function toTurn(state: WireState): OrchestratorTurn {
  // Schema V2 and later: one list holding every action since the orchestration started.
  return { isDone: state.isDone === true, actions: state.actions?.[0] ?? [], output: state.output, customStatus: state.customStatus };
}
