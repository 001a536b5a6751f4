/** Runtime states as Durable Functions reports them. */
export type OrchestrationRuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

export interface OrchestrationInstance {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: OrchestrationRuntimeStatus;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly customStatus?: unknown;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
}

export type StartResult = { readonly started: true } | { readonly started: false; readonly existing: OrchestrationInstance };

/**
 * What triggers (the heartbeat monitor, the HTTP API, the reply listener) need of the durable
 * runtime. In Azure it is the Durable Functions client of the invocation; locally the local
 * durable engine. The durable system-key URLs never leave it.
 */
export interface OrchestrationClient {
  /** Starts `name` under a fixed instance id; while one with that id is pending or running, returns it instead. */
  start(name: string, instanceId: string, input: unknown): Promise<StartResult>;
  getStatus(instanceId: string): Promise<OrchestrationInstance | undefined>;
  /** Returns false when no such instance exists or it has finished (the event is dropped). */
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<boolean>;
}

export function isRunning(status: OrchestrationRuntimeStatus): boolean {
  return status === 'Pending' || status === 'Running' || status === 'Suspended' || status === 'ContinuedAsNew';
}
