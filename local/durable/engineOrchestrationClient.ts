import type { OrchestrationClient, OrchestrationInstance, StartResult } from '../../shared/ports/orchestrationClient.port';
import type { DurableEngine, InstanceStatus } from './durableEngine';
import { InstanceAlreadyRunningError } from './durableEngineErrors';
import { isActive } from './historyStore';

/**
 * The OrchestrationClient over the local durable engine (npm start, tests): the same contract
 * as the host's durable client, so triggers cannot tell which one runs their orchestrations.
 */
export class EngineOrchestrationClient implements OrchestrationClient {
  constructor(private readonly engine: DurableEngine) {}

  async start(name: string, instanceId: string, input: unknown): Promise<StartResult> {
    try {
      await this.engine.startNew(name, { instanceId, input });
      return { started: true };
    } catch (error) {
      if (!(error instanceof InstanceAlreadyRunningError)) throw error;
      const existing = await this.getStatus(instanceId);
      // It finished between the refusal and our look: the caller may simply try again.
      if (!existing) throw error;
      return { started: false, existing };
    }
  }

  async getStatus(instanceId: string): Promise<OrchestrationInstance | undefined> {
    const status = await this.engine.getStatus(instanceId);
    return status ? toInstance(status) : undefined;
  }

  async raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<boolean> {
    const status = await this.engine.getStatus(instanceId);
    if (!status || !isActive(status.runtimeStatus)) return false;
    await this.engine.raiseEvent(instanceId, eventName, data);
    return true;
  }
}

function toInstance(status: InstanceStatus): OrchestrationInstance {
  // The host reports a failed orchestration's error as its output; the engine keeps it apart.
  const output = status.runtimeStatus === 'Failed' && status.output === undefined ? status.failure?.message : status.output;
  return {
    instanceId: status.instanceId,
    name: status.name,
    runtimeStatus: status.runtimeStatus,
    ...(status.input !== undefined ? { input: status.input } : {}),
    ...(output !== undefined ? { output } : {}),
    ...(status.customStatus !== undefined ? { customStatus: status.customStatus } : {}),
    createdAt: status.createdAt,
    lastUpdatedAt: status.lastUpdatedAt,
  };
}
