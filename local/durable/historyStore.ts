import type { HistoryEvent } from './historyEvent';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated';

export interface InstanceFailure {
  readonly message: string;
  readonly details?: string;
}

/** Everything the engine remembers about one orchestration instance; plain JSON. */
export interface InstanceRecord {
  readonly instanceId: string;
  readonly name: string;
  /** Changes with continue-as-new; late results addressed to an older execution are dropped. */
  readonly executionId: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly customStatus?: unknown;
  readonly failure?: InstanceFailure;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly parent?: { readonly instanceId: string; readonly executionId: string; readonly taskScheduledId: number };
  /** History of the current execution, as replayed into the orchestrator. */
  readonly history: readonly HistoryEvent[];
  /** Events that arrived (results, timers, raised events) and wait for the next episode. */
  readonly inbox: readonly HistoryEvent[];
}

/** Where instances live between episodes; a new engine over the same store resumes them. */
export interface HistoryStore {
  read(instanceId: string): Promise<InstanceRecord | undefined>;
  write(record: InstanceRecord): Promise<void>;
  list(): Promise<readonly InstanceRecord[]>;
}

export function isActive(status: RuntimeStatus): boolean {
  return status === 'Pending' || status === 'Running';
}
