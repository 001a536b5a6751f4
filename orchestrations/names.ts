/**
 * Names of orchestrations and activities, in one place: call sites use these constants, never
 * string literals, so a rename cannot leave a caller behind.
 */
export const ORCHESTRATIONS = {
  failover: 'failover',
} as const;

export const ACTIVITIES = {
  /** FailoverFacts for a pair, read now: pair settings, the decision and its evidence, epoch, backup. */
  gatherFacts: 'failoverGatherFacts',
  /** Sends one command to a host's agent (a restore gets its SAS URL here). */
  sendCommand: 'failoverSendCommand',
  /** Raises the pair's epoch with an ETag-conditional write of the fence record naming the Secondary. */
  raiseEpoch: 'failoverRaiseEpoch',
  /** What the lock says about the Primary now: released, its heartbeat age, or unknown. */
  primaryLockEvidence: 'failoverPrimaryLockEvidence',
  /** Reads one side's lock owner and heartbeat (verify). */
  readOwner: 'failoverReadOwner',
  /** Sends a notification to the pair's channels. */
  notify: 'failoverNotify',
  /** Keeps the audit record and, after a completed failover, starts the cool-down. */
  closeFailover: 'failoverClose',
} as const;
