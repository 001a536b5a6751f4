import { WatchdogError } from '../domain/errors';

/**
 * Why a person's request about a failover cannot be carried out. Each has a stable code (the
 * HTTP layer maps codes to statuses in one place) and `details` that are safe to show: they
 * come from the decision's evidence and the orchestration's status, never from a secret.
 */
export class UnknownFailoverError extends WatchdogError {
  constructor(instanceId: string) {
    super('UNKNOWN_FAILOVER', `No failover with id '${instanceId}' is known (ids look like failover-<pair id>)`, { instanceId });
  }
}

export class FailoverRefusedError extends WatchdogError {
  readonly details: { readonly reason: string; readonly evidence: readonly string[] };

  constructor(pairId: string, reason: string, evidence: readonly string[]) {
    super('FAILOVER_REFUSED', `A failover of pair ${pairId} is refused (${reason}): ${evidence[0] ?? 'the decision is not to fail over'}`, { pairId, reason });
    this.details = { reason, evidence };
  }
}

export type FailoverStateCode = 'FAILOVER_NOT_RUNNING' | 'NOT_AWAITING_APPROVAL' | 'NOT_CANCELLABLE' | 'NOTHING_TO_ACKNOWLEDGE';

/** The failover is not in a state where the request makes sense (it finished, is past the gate, ...). */
export class FailoverStateError extends WatchdogError {
  constructor(
    code: FailoverStateCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, message);
  }
}

export type ApprovalForbiddenCode = 'IDENTITY_REQUIRED' | 'TWO_PERSON_RULE';

export class ApprovalForbiddenError extends WatchdogError {
  constructor(code: ApprovalForbiddenCode, message: string) {
    super(code, message);
  }
}
