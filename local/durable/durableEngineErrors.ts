import { WatchdogError } from '../../shared/domain/errors';

/** Like the host with singleton orchestrations: one running instance per id. */
export class InstanceAlreadyRunningError extends WatchdogError {
  constructor(readonly instanceId: string, status: string) {
    super('INSTANCE_ALREADY_RUNNING', `An orchestration instance with id '${instanceId}' is already ${status.toLowerCase()}`, { instanceId, status });
  }
}

export class InstanceNotFoundError extends WatchdogError {
  constructor(readonly instanceId: string) {
    super('INSTANCE_NOT_FOUND', `No instance with ID '${instanceId}' found.`, { instanceId });
  }
}

export class FunctionNotRegisteredError extends WatchdogError {
  constructor(readonly functionName: string, kind: 'orchestration' | 'activity', registered: readonly string[]) {
    super('FUNCTION_NOT_REGISTERED', `No ${kind} registered as '${functionName}' (registered: ${registered.join(', ') || 'none'})`, { functionName, kind });
  }
}

/** What the Durable Task Framework raises when a replay schedules something other than its history records. */
export class NonDeterministicOrchestrationError extends WatchdogError {
  constructor(readonly sequenceId: number, message: string) {
    super('NON_DETERMINISTIC_ORCHESTRATION', `Non-Deterministic workflow detected: ${message}`, { sequenceId });
  }
}

export class UnsupportedActionError extends WatchdogError {
  constructor(actionType: number | string) {
    super('UNSUPPORTED_DURABLE_ACTION', `The local durable engine does not support action type ${String(actionType)} (entities and HTTP calls are not implemented)`, {
      actionType: String(actionType),
    });
  }
}
