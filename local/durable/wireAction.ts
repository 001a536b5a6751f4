/** Action types as numbered by durable-functions 3.5 (`lib/src/actions/ActionType`). */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export interface WireRetryOptions {
  readonly firstRetryIntervalInMilliseconds: number;
  readonly maxNumberOfAttempts: number;
  readonly backoffCoefficient?: number;
  readonly maxRetryIntervalInMilliseconds?: number;
  readonly retryTimeoutInMilliseconds?: number;
}

/** An action as the orchestrator returns it to the host, after JSON serialization. */
export interface WireAction {
  readonly actionType: number;
  readonly functionName?: string;
  readonly input?: unknown;
  readonly retryOptions?: WireRetryOptions;
  readonly instanceId?: string;
  readonly fireAt?: string;
  readonly isCanceled?: boolean;
  readonly externalEventName?: string;
  readonly compoundActions?: readonly WireAction[];
}

/**
 * The library JSON-encodes string inputs of activities and continue-as-new once more
 * (`Utils.processInput`); the host hands the function the decoded value.
 */
export function decodeActionInput(input: unknown): unknown {
  return typeof input === 'string' ? JSON.parse(input) : input;
}
