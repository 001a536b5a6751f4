import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { WatchdogError } from '../../domain/errors';
import { redactUrls } from '../../domain/redactUrls';
import { isRunning, type OrchestrationClient, type OrchestrationInstance, type OrchestrationRuntimeStatus, type StartResult } from '../../ports/orchestrationClient.port';

/** What this adapter uses of durable-functions' DurableClient. */
export type DurableClientCalls = Pick<df.DurableClient, 'startNew' | 'getStatus' | 'raiseEvent'>;

/** The durable runtime did not answer as expected. The message never holds a URL (they carry the system key). */
export class OrchestrationClientError extends WatchdogError {
  constructor(operation: string, instanceId: string, error: unknown) {
    super('ORCHESTRATION_CLIENT_FAILED', `Durable Functions ${operation} of '${instanceId}' failed: ${safeText(error)}`, { operation, instanceId });
  }
}

/**
 * The OrchestrationClient over the Durable Functions client of one invocation (the function
 * must be registered with the durable client input). Only starts, status reads and raised events
 * go through it; the management URLs it knows (`createCheckStatusResponse` and friends) carry the
 * system key and are never asked for.
 */
export class DurableOrchestrationClient implements OrchestrationClient {
  constructor(private readonly client: DurableClientCalls) {}

  static forInvocation(context: InvocationContext): DurableOrchestrationClient {
    return new DurableOrchestrationClient(df.getClient(context));
  }

  async start(name: string, instanceId: string, input: unknown): Promise<StartResult> {
    // The extension answers a start for a running id with a bare 500, which says nothing we can
    // tell apart from a fault: look first, and look again when the start fails.
    const before = await this.getStatus(instanceId);
    if (before && isRunning(before.runtimeStatus)) return { started: false, existing: before };
    try {
      await this.client.startNew(name, { instanceId, input });
      return { started: true };
    } catch (error) {
      const after = await this.getStatus(instanceId);
      if (after && isRunning(after.runtimeStatus)) return { started: false, existing: after };
      throw new OrchestrationClientError('start', instanceId, error);
    }
  }

  async getStatus(instanceId: string): Promise<OrchestrationInstance | undefined> {
    let status: df.DurableOrchestrationStatus;
    try {
      status = await this.client.getStatus(instanceId);
    } catch (error) {
      // durable-functions 3.x rejects a 404 ("no such instance") with a plain Error saying so.
      if (error instanceof Error && /replied with HTTP 404 response/.test(error.message)) return undefined;
      throw new OrchestrationClientError('status read', instanceId, error);
    }
    return {
      instanceId: status.instanceId,
      name: status.name,
      runtimeStatus: status.runtimeStatus as unknown as OrchestrationRuntimeStatus,
      ...(status.input !== undefined && status.input !== null ? { input: status.input } : {}),
      ...(status.output !== undefined && status.output !== null ? { output: status.output } : {}),
      ...(status.customStatus !== undefined && status.customStatus !== null ? { customStatus: status.customStatus } : {}),
      createdAt: isoOf(status.createdTime),
      lastUpdatedAt: isoOf(status.lastUpdatedTime),
    };
  }

  async raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<boolean> {
    // The client resolves alike for "raised" (202) and "finished, dropped" (410): ask first.
    const status = await this.getStatus(instanceId);
    if (!status || !isRunning(status.runtimeStatus)) return false;
    try {
      await this.client.raiseEvent(instanceId, eventName, data);
      return true;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('No instance with ID')) return false;
      throw new OrchestrationClientError(`raise of event '${eventName}'`, instanceId, error);
    }
  }
}

function isoOf(date: Date): string {
  return Number.isNaN(date.getTime()) ? String(date) : date.toISOString();
}

/** The cause's text without URLs or key parameters: a webhook URL holds the durable system key. */
function safeText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return redactUrls(text).slice(0, 500);
}
