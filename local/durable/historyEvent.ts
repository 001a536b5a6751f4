/**
 * Orchestration history as the Durable Functions host hands it to the durable-functions library:
 * PascalCase fields, numbered event types, ISO timestamps. Numbers are those of durable-functions
 * 3.5 (`lib/src/history/HistoryEventType`); a test checks they still match.
 */
export const HistoryEventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
} as const;

export type HistoryEventTypeNumber = (typeof HistoryEventType)[keyof typeof HistoryEventType];

export interface FailureDetailsPayload {
  readonly ErrorType: string;
  readonly ErrorMessage: string;
  readonly StackTrace?: string;
  readonly IsNonRetriable: boolean;
  readonly Properties?: Record<string, unknown>;
}

/** One history event. Only the fields the library reads (plus a few for people) are used. */
export interface HistoryEvent {
  readonly EventType: HistoryEventTypeNumber;
  /** Sequence number for TaskScheduled, TimerCreated and SubOrchestrationInstanceCreated; otherwise -1. */
  readonly EventId: number;
  readonly IsPlayed: boolean;
  readonly Timestamp: string;
  readonly Name?: string;
  /** JSON text, as the host stores inputs. */
  readonly Input?: string;
  /** JSON text of an activity's or sub-orchestration's return value. */
  readonly Result?: string;
  readonly TaskScheduledId?: number;
  readonly TimerId?: number;
  readonly FireAt?: string;
  readonly Reason?: string;
  readonly Details?: string;
  readonly FailureDetails?: FailureDetailsPayload;
  readonly InstanceId?: string;
  readonly OrchestrationInstance?: { readonly InstanceId: string; readonly ExecutionId: string };
  readonly ParentInstance?: { readonly InstanceId: string; readonly TaskScheduledId: number };
}

type EventFields = Omit<HistoryEvent, 'EventType' | 'EventId' | 'IsPlayed' | 'Timestamp'>;

export function historyEvent(type: HistoryEventTypeNumber, timestamp: Date, fields: EventFields = {}, eventId = -1): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: timestamp.toISOString(), ...fields };
}

/** JSON text for a value; `undefined` is stored as absent, as the host does. */
export function toJsonText(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

/** `{ Input }` holding the value as JSON text, or nothing for `undefined`. */
export function optionalInput(value: unknown): { Input?: string } {
  const text = toJsonText(value);
  return text === undefined ? {} : { Input: text };
}

export function fromJsonText(text: string | undefined): unknown {
  return text === undefined ? undefined : JSON.parse(text);
}
